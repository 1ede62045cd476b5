// Every view's front end, by the name its Python widget class gives it (the `view` trait,
// AxisView.view_name). A new view adds one line here (see widgets/README.md).
import annotate from "./views/annotate.js";
import calibrate from "./views/calibrate.js";
import compare from "./views/compare.js";
import copilot from "./views/copilot.js";
import database from "./views/database.js";
import datasets from "./views/datasets.js";
import deepdive from "./views/deepdive.js";
import graph from "./views/graph.js";
import memory from "./views/memory.js";
import monitor from "./views/monitor.js";
import production from "./views/production.js";
import report from "./views/report.js";
import runner from "./views/runner.js";
import scorecard from "./views/scorecard.js";
import signals from "./views/signals.js";

/**
 * @typedef {{model: import("./lib/transport.js").AnyModel, el: HTMLElement}} RenderArgs
 * @typedef {{render: (args: RenderArgs) => (void | (() => void))}} ViewModule
 */

/** @type {Record<string, ViewModule>} */
export const VIEWS = {
  annotate,
  calibrate,
  compare,
  copilot,
  database,
  datasets,
  deepdive,
  graph,
  memory,
  monitor,
  production,
  report,
  runner,
  scorecard,
  signals,
};
