// The one front-end module of every AXIS view (bundled into axis_jupyter/static/axis.js,
// with Vega once and every view's CSS in axis.css). anywidget loads a widget's `_esm` as
// a single module text (a blob: URL, so a bundle cannot import chunks beside it): every
// widget class points at this bundle, and render() picks the view the model names.
import { VIEWS } from "./registry.js";

/** @param {import("./registry.js").RenderArgs} args */
function render({ model, el }) {
  const name = model.get("view");
  const view = Object.hasOwn(VIEWS, name) ? VIEWS[name] : null;
  if (!view) {
    el.textContent = `AXIS: this front end has no view named "${name}"; the package and its bundle are out of step (run \`make widgets\`).`;
    return;
  }
  return view.render({ model, el });
}

export default { render };
