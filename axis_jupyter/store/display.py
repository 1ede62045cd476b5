"""A store as plain HTML: the table a notebook shows for ``axis`` where widgets cannot run
(nbconvert, GitHub, a saved notebook), and the fallback of the data manager widget."""

from __future__ import annotations

import html


def human_bytes(n) -> str:
    if n is None:
        return "–"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


def dataset_table(store) -> list[dict]:
    """One row per dataset: name, kind, layout, rows, records, columns, time_range,
    size_bytes, source, updated."""
    infos = [store.info(n) for n in store.datasets()["name"]]
    size = store.dataset_sizes(infos)
    return [{"name": i["name"], "kind": i["kind"], "layout": i.get("layout"),
             "rows": i.get("rows"), "records": i.get("records"),
             "columns": len(i.get("columns", [])), "time_range": i.get("time_range"),
             "size_bytes": size.get(i["name"]), "source": i.get("source"),
             "updated": i.get("updated")} for i in infos]


def datasets_html(store) -> str:
    rows = dataset_table(store)
    esc = html.escape
    head = ("<tr><th>name</th><th>kind</th><th>layout</th><th>rows</th><th>records</th>"
            "<th>time range</th><th>size</th></tr>")
    body = []
    for r in rows:
        tr = r.get("time_range") or [None, None]
        span = f"{(tr[0] or '')[:10]} – {(tr[1] or '')[:10]}" if tr[0] else ""
        body.append(f"<tr><td>{esc(r['name'])}</td><td>{esc(str(r['kind']))}</td>"
                    f"<td>{esc(str(r['layout'] or ''))}</td><td>{r['rows']:,}</td>"
                    f"<td>{r['records']:,}</td><td>{esc(span)}</td>"
                    f"<td>{human_bytes(r['size_bytes'])}</td></tr>")
    title = f"AXIS store {esc(str(getattr(store, 'location', '')))}: {len(rows)} dataset(s)"
    return (f"<div class='axis-static axis-datasets-static'><b>{title}</b>"
            f"<table>{head}{''.join(body)}</table></div>")
