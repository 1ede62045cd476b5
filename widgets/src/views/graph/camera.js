// Zoom and pan of the graph canvas as a plain transform {k, x, y}: screen = world * k + (x, y).
// Pure functions (test/graph.test.js).

/** @typedef {{k: number, x: number, y: number}} Camera */

export const MIN_ZOOM = 0.05;
export const MAX_ZOOM = 8;

/**
 * @param {Camera} cam
 * @param {number} sx
 * @param {number} sy
 * @returns {[number, number]} the world point under screen point (sx, sy)
 */
export function toWorld(cam, sx, sy) {
  return [(sx - cam.x) / cam.k, (sy - cam.y) / cam.k];
}

/**
 * @param {Camera} cam
 * @param {number} wx
 * @param {number} wy
 * @returns {[number, number]}
 */
export function toScreen(cam, wx, wy) {
  return [wx * cam.k + cam.x, wy * cam.k + cam.y];
}

/**
 * The camera zoomed by `factor` about screen point (sx, sy), which stays where it is.
 * @param {Camera} cam
 * @param {number} factor
 * @param {number} sx
 * @param {number} sy
 * @returns {Camera}
 */
export function zoomAt(cam, factor, sx, sy) {
  const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, cam.k * factor));
  const [wx, wy] = toWorld(cam, sx, sy);
  return { k, x: sx - wx * k, y: sy - wy * k };
}

/**
 * The camera that shows world point (wx, wy) at the centre of a w x h canvas (zoom kept,
 * or `k` if given).
 * @param {Camera} cam
 * @param {number} wx
 * @param {number} wy
 * @param {number} w
 * @param {number} h
 * @param {number} [k]
 * @returns {Camera}
 */
export function centreOn(cam, wx, wy, w, h, k) {
  const kk = k ?? cam.k;
  return { k: kk, x: w / 2 - wx * kk, y: h / 2 - wy * kk };
}

/**
 * The camera that fits every point into a w x h canvas with `pad` pixels around.
 * @param {Array<{x?: number, y?: number}>} points
 * @param {number} w
 * @param {number} h
 * @param {number} [pad]
 * @returns {Camera}
 */
export function fit(points, w, h, pad = 30) {
  const xs = points.map((p) => p.x ?? 0);
  const ys = points.map((p) => p.y ?? 0);
  if (!xs.length) return { k: 1, x: w / 2, y: h / 2 };
  const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
  const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM,
    Math.min((w - 2 * pad) / Math.max(1, maxX - minX), (h - 2 * pad) / Math.max(1, maxY - minY))));
  return { k, x: w / 2 - ((minX + maxX) / 2) * k, y: h / 2 - ((minY + maxY) / 2) * k };
}
