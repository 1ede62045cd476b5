// The data manager's upload: the browser streams the file to the server and follows the
// load job, or (no server extension) sends a small file through the kernel. Pure helpers
// first (unit-tested), then the two transports.
import { authHeaders, pageConfig } from "../../lib/transport.js";

/** Bytes as "1.2 MB". Pure. @param {number | null | undefined} n */
export function fmtBytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = Number(n), i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** The share of an upload sent, 0..1 (0 when the size is unknown). Pure. @param {number} loaded @param {number} total */
export const shareOf = (loaded, total) => (total > 0 ? Math.min(1, Math.max(0, loaded / total)) : 0);

/** A dataset name from a file name ("My results.csv" -> "my_results"). Pure. @param {string} filename */
export function nameFromFile(filename) {
  const stem = String(filename || "dataset").replace(/\.[^.]+$/, "");
  const name = stem.toLowerCase().replace(/[^a-z0-9_]+/g, "_").replace(/^_+|_+$/g, "");
  return /^[a-z_]/.test(name) ? name : `d_${name || "dataset"}`;
}

/**
 * POST the file to {base}axis/api/uploads (multipart, streamed by the server to disk);
 * onProgress(loaded, total) as bytes go. Resolves to the staged upload with its preview.
 * XMLHttpRequest rather than fetch: only it reports upload progress.
 * @param {File} file
 * @param {(loaded: number, total: number) => void} onProgress
 * @returns {Promise<any>}
 */
export function uploadToServer(file, onProgress) {
  const cfg = pageConfig();
  if (!cfg) return Promise.reject(new Error("this page is not a Jupyter page"));
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${cfg.baseUrl}axis/api/uploads`);
    for (const [k, v] of Object.entries(authHeaders(cfg))) xhr.setRequestHeader(k, v);
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      /** @type {any} */
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { body = null; }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve(body);
      } else reject(new Error((body && body.error) || `upload failed (HTTP ${xhr.status})`));
    };
    xhr.onerror = () => reject(new Error("upload failed: the server could not be reached"));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

/**
 * Start the load of a staged upload as a server job and follow it until it ends;
 * onStage(stage) with the job's progress ("queued", "loading", "done").
 * @param {string} upload
 * @param {object} body {name, kind, mapping}
 * @param {(stage: string) => void} onStage
 */
export async function commitOnServer(upload, body, onStage) {
  const cfg = /** @type {import("../../lib/transport.js").PageConfig} */ (pageConfig());
  const api = `${cfg.baseUrl}axis/api/`;
  const resp = await fetch(`${api}uploads/${upload}/commit`, {
    method: "POST", headers: authHeaders(cfg, true), credentials: "same-origin", body: JSON.stringify(body),
  });
  const started = await resp.json().catch(() => null);
  if (!resp.ok) throw new Error((started && started.error) || `HTTP ${resp.status}`);
  const id = started.job.id;
  onStage("queued");
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const r = await fetch(`${api}jobs/${id}`, { headers: authHeaders(cfg), credentials: "same-origin", cache: "no-store" });
    const job = await r.json();
    const stage = (job.progress && job.progress.stage) || job.state;
    onStage(stage);
    if (job.state === "succeeded") return job.result;
    if (job.state === "failed" || job.state === "cancelled") throw new Error(job.error || `the load ${job.state}`);
  }
}

/**
 * The file's bytes in base64 (the kernel path).
 * @param {File} file
 * @returns {Promise<string>}
 */
export function base64Of(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
