// Renders Vega-Lite specs built in Python (Altair) with their small inlined data.
// vega, vega-lite and vega-embed are bundled: nothing is fetched from a CDN.
import embed from "vega-embed";

/**
 * renderVegaLite(el, spec, {onClick}) -> Promise<() => void> (a cleanup function).
 * onClick(datum) receives the data row of a clicked mark, if any.
 */
export async function renderVegaLite(el, spec, { onClick } = {}) {
  const result = await embed(el, spec, {
    actions: false,
    renderer: "svg",
    tooltip: true,
    // data is inlined by Python; the $schema URL is only parsed, never fetched
  });
  if (onClick) {
    result.view.addEventListener("click", (_event, item) => {
      if (item && item.datum) onClick(item.datum);
    });
  }
  return () => result.finalize();
}
