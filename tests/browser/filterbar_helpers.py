"""Driving the shared filter bar (widgets/src/lib/filterbar.js) from Playwright."""

from __future__ import annotations


def chosen(view, key="evaluation_name") -> str:
    """The values of ``key`` shown as chips, joined by "," ("" when none)."""
    chips = view.locator(f"[data-testid=chip][data-key={key}]")
    return ",".join(chips.nth(i).get_attribute("data-value") for i in range(chips.count()))


def choose(view, value: str, key="evaluation_name") -> None:
    """Show only ``value`` of ``key`` ("" for all): clear the chips, tick it, close the menu."""
    bar = view.locator("[data-testid=filterbar]").first
    if bar.locator("[data-testid=clear-filters]").count():
        bar.locator("[data-testid=clear-filters]").click()
        bar.locator("[data-testid=chip]").first.wait_for(state="detached")
    if not value:
        return
    bar.locator(f"[data-testid=filter-{key}] summary").click()
    bar.locator(f"[data-testid=filter-{key}] input[data-value='{value}']").check()
    bar.locator(f"[data-testid=chip][data-key={key}][data-value='{value}']").wait_for()
    view.locator(".axis-title").first.click()  # a click outside closes the menu
