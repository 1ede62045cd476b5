// Colours that follow JupyterLab's theme: the views' CSS uses its variables
// (--jp-layout-color0, --jp-ui-font-color1, ...), and Vega charts get a config read from
// the same variables when they are drawn, so a chart in the dark theme has light text on
// the page's own background. The theme.yaml palette (the `branding` trait) adds the brand
// accent and the chart colours.

/** Chart colours after the palette's own (Tableau 10, readable on light and dark). */
export const CATEGORY = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

/**
 * The CSS variables a chart needs, read from `el` (inside the JupyterLab page).
 * @param {Element} el
 * @returns {Record<string, string>}
 */
export function readVars(el) {
  // a chart box not yet in the page has no inherited variables: read the page's own
  const cs = getComputedStyle(el.isConnected ? el : document.body);
  /** @param {string} name @param {string} fallback */
  const v = (name, fallback) => cs.getPropertyValue(name).trim() || fallback;
  return {
    fg: v("--jp-ui-font-color1", "#1f2937"),
    muted: v("--jp-ui-font-color2", "#6b7280"),
    grid: v("--jp-border-color2", "#e5e7eb"),
    domain: v("--jp-border-color1", "#9ca3af"),
    font: v("--jp-ui-font-family", "system-ui, sans-serif"),
    accent: v("--axis-accent", "#2563eb"),
    palette: v("--axis-palette", ""),
  };
}

/**
 * The Vega-Lite config for a chart drawn with these variables. Pure.
 * @param {Record<string, string>} vars from readVars
 */
export function vegaConfig(vars) {
  const brand = (vars.palette || "").split(",").map((s) => s.trim()).filter(Boolean);
  const axis = { labelColor: vars.fg, titleColor: vars.fg, gridColor: vars.grid, domainColor: vars.domain,
    tickColor: vars.domain, labelFont: vars.font, titleFont: vars.font };
  return {
    background: "transparent",  // the page's own background shows through
    font: vars.font,
    axis, axisX: {}, axisY: {},
    legend: { labelColor: vars.fg, titleColor: vars.fg, labelFont: vars.font, titleFont: vars.font },
    title: { color: vars.fg, subtitleColor: vars.muted, font: vars.font },
    header: { labelColor: vars.fg, titleColor: vars.fg },
    text: { color: vars.fg },
    view: { stroke: vars.grid },
    range: { category: [...brand, ...CATEGORY] },
  };
}

/**
 * Relative luminance of a CSS colour "#rgb", "#rrggbb" or "rgb(r, g, b)" (0 black .. 1 white);
 * null for anything else. Pure.
 * @param {string} color
 */
export function luminance(color) {
  const c = String(color || "").trim();
  /** @type {number[] | null} */
  let rgb = null;
  const m = c.match(/^rgba?\(\s*(\d+)[,\s]+(\d+)[,\s]+(\d+)/);
  if (m) rgb = [+m[1], +m[2], +m[3]];
  else if (/^#[0-9a-f]{3}$/i.test(c)) rgb = [1, 2, 3].map((i) => parseInt(c[i] + c[i], 16));
  else if (/^#[0-9a-f]{6}$/i.test(c)) rgb = [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
  if (!rgb) return null;
  const lin = rgb.map((x) => {
    const s = x / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
}

/**
 * WCAG contrast ratio of two colours (1 .. 21), or null when one cannot be read. Pure.
 * @param {string} a @param {string} b
 */
export function contrast(a, b) {
  const la = luminance(a), lb = luminance(b);
  if (la === null || lb === null) return null;
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/**
 * Put the theme.yaml palette on a view's root as CSS variables (--axis-brand, the chart
 * colours in --axis-palette).
 * @param {HTMLElement} root
 * @param {Record<string, any> | null | undefined} theme
 */
export function applyPalette(root, theme) {
  if (!theme) return;
  if (theme.primary) root.style.setProperty("--axis-brand", theme.primary);
  const colours = ["primary", "accentGold", "primaryDark", "accentSilver", "primaryLight", "primarySoft"]
    .map((k) => theme[k]).filter(Boolean);
  if (colours.length) root.style.setProperty("--axis-palette", colours.join(","));
  root.dataset.palette = theme.key || "";
}
