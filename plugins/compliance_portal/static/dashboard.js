// The compliance portal page: reads the portal API with the Airflow session cookie and refreshes
// every few seconds. Plain DOM and hand-drawn SVG, so there is no build step.
"use strict";

const REFRESH_MS = 3000;
const COLORS = ["#2680c2", "#e66a6a", "#f0b429", "#3ebd93", "#9446ed", "#f27a2a", "#486581", "#d64545",
  "#27ab83", "#8719e0", "#627d98", "#c99a2e"];
let role = null;

async function getJson(path) {
  const response = await fetch(path, { credentials: "same-origin" });
  if (response.status === 401) {
    window.top.location.href = "/auth/login?next=" + encodeURIComponent(window.top.location.href);
    throw new Error("not logged in");
  }
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  return node;
}

const num = (value) => (value === null || value === undefined ? "" : Number(value).toLocaleString("en-US"));
const cell = (value, cls = "num") => el("td", { class: cls }, num(value));
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");

function fillTable(id, rows, render) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren(...rows.map(render));
}

function renderJob(job) {
  const bar = el("div", { class: "progress", title: `${Math.round(job.progress * 100)} %` },
    el("div", { style: `width:${Math.round(job.progress * 100)}%` }));
  bar.firstChild.style.width = `${Math.round(job.progress * 100)}%`;
  return el("tr", { "data-job-id": job.id, "data-file-name": job.file_name },
    cell(job.id), el("td", {}, job.file_name), el("td", {}, job.pipeline),
    el("td", { class: `status status-${job.status}` }, job.status), el("td", {}, bar),
    el("td", { class: "num records-loaded" }, num(job.records_loaded)),
    el("td", { class: "num records-quarantined" }, num(job.records_quarantined)),
    el("td", { class: "num violations" }, num(job.violations)),
    cell(job.records_per_second ? Math.round(job.records_per_second) : null), el("td", {}, when(job.started_at)));
}

function renderFile(file) {
  const action = el("td");
  if (role === "analyst" || role === "admin") {
    const button = el("button", { type: "button", class: "show-records" }, "records");
    button.addEventListener("click", () => showRecords(file.id, file.file_name));
    action.append(button);
  }
  return el("tr", { "data-file-id": file.id, "data-file-name": file.file_name },
    el("td", {}, file.file_name), el("td", { class: `status status-${file.status}` }, file.status),
    el("td", {}, file.pipeline ?? ""), el("td", { class: "reason" }, file.route_reason ?? ""),
    cell(file.row_count), el("td", { class: "num records-loaded" }, num(file.records_loaded)),
    cell(file.records_quarantined), el("td", { class: "num violations" }, num(file.violations)),
    el("td", { class: "quarantine-reason" }, file.quarantine_reason ?? ""), action);
}

async function showRecords(fileId, name) {
  const page = await getJson(`api/database/records/${fileId}?limit=20`);
  document.getElementById("records-file").textContent = name;
  document.getElementById("records").textContent =
    page.records.map((r) => `${r.row_number}: ${JSON.stringify(r.payload)}`).join("\n");
  document.getElementById("records-section").hidden = false;
}

// A stacked bar per day; series are the keys of each day's counts.
function stackedBars(container, days, maxSeries = 8) {
  const totals = {};
  for (const day of days) for (const [key, n] of Object.entries(day.counts)) totals[key] = (totals[key] || 0) + n;
  const series = Object.keys(totals).sort((a, b) => totals[b] - totals[a]);
  const shown = series.slice(0, maxSeries);
  const other = series.length > maxSeries;
  const keys = other ? [...shown, "other"] : shown;
  const width = 600, height = 220, left = 50, bottom = 30, top = 10;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  const dayTotals = days.map((d) => Object.values(d.counts).reduce((a, b) => a + b, 0));
  const max = Math.max(1, ...dayTotals);
  const slot = (width - left) / Math.max(days.length, 1);
  const barWidth = Math.max(2, Math.min(40, slot * 0.7));
  const scale = (height - bottom - top) / max;
  const text = (x, y, content, anchor = "middle") => {
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", x); t.setAttribute("y", y); t.setAttribute("font-size", "10");
    t.setAttribute("text-anchor", anchor); t.textContent = content;
    svg.append(t);
  };
  text(left - 6, top + 8, num(max), "end");
  text(left - 6, height - bottom, "0", "end");
  days.forEach((day, i) => {
    let y = height - bottom;
    const x = left + i * slot + (slot - barWidth) / 2;
    keys.forEach((key, k) => {
      const n = key === "other"
        ? Object.entries(day.counts).filter(([name]) => !shown.includes(name)).reduce((a, [, v]) => a + v, 0)
        : day.counts[key] || 0;
      if (!n) return;
      const rect = document.createElementNS(ns, "rect");
      const h = n * scale;
      y -= h;
      rect.setAttribute("x", x); rect.setAttribute("y", y);
      rect.setAttribute("width", barWidth); rect.setAttribute("height", h);
      rect.setAttribute("fill", COLORS[k % COLORS.length]);
      const title = document.createElementNS(ns, "title");
      title.textContent = `${day.day} ${key}: ${num(n)}`;
      rect.append(title);
      svg.append(rect);
    });
    if (days.length <= 14 || i % Math.ceil(days.length / 14) === 0) text(x + barWidth / 2, height - bottom + 14, day.day.slice(5));
  });
  const legend = el("div", { class: "legend" },
    ...keys.map((key, k) => el("span", {}, el("i", { style: `background:${COLORS[k % COLORS.length]}` }), key)));
  legend.querySelectorAll("i").forEach((swatch, k) => { swatch.style.background = COLORS[k % COLORS.length]; });
  container.replaceChildren(days.length ? svg : el("p", { class: "muted" }, "no violations yet"), legend);
}

function renderProcessors(status) {
  const badges = ["batch", "stream", "hybrid"].map((name) => {
    const p = status[name];
    return el("span", { class: `badge ${p.available ? "up" : "down"}`, "data-pipeline": name, title: p.detail },
      `${name} (${p.engine}${p.mode ? ", " + p.mode : ""}): ${p.available ? "available" : "unavailable"} — ${p.detail}`);
  });
  document.getElementById("processors").replaceChildren(...badges);
}

function renderTotals(system) {
  const item = (label, value, id) => el("div", { id }, el("b", {}, num(value)), label);
  document.getElementById("totals").replaceChildren(
    item("files", system.files, "total-files"), item("jobs", system.jobs, "total-jobs"),
    item("records loaded", system.records_loaded, "total-records"),
    item("records quarantined", system.records_quarantined, "total-quarantined"),
    item("violations", system.violations, "total-violations"));
}

async function refresh() {
  try {
    const [summary, jobs, files, quarantine] = await Promise.all([
      getJson("api/reports/summary"), getJson("api/jobs?limit=25"), getJson("api/database/files?limit=50"),
      getJson("api/reports/quarantine?limit=25"),
    ]);
    renderTotals(summary.system);
    fillTable("jobs", jobs, renderJob);
    fillTable("files", files, renderFile);
    fillTable("quarantine", quarantine, (q) => el("tr", {}, el("td", {}, when(q.quarantined_at)),
      el("td", {}, q.file_name ?? ""), cell(q.row_number), el("td", {}, q.reason)));
    fillTable("compliance", summary.compliance, (c) => el("tr", { "data-regulation": c.regulation },
      el("td", {}, c.regulation), cell(c.violations), cell(c.by_severity.critical || 0),
      cell(c.by_severity.high || 0), cell(c.by_severity.medium || 0), cell(c.by_severity.low || 0)));
    stackedBars(document.getElementById("chart-regulation"), summary.violation_trends.by_regulation);
    stackedBars(document.getElementById("chart-type"), summary.violation_trends.by_type);
    document.getElementById("refreshed").textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    document.getElementById("refreshed").textContent = `refresh failed: ${error.message}`;
  }
}

async function refreshProcessors() {
  try { renderProcessors(await getJson("api/pipeline/processors/status")); } catch (error) { /* next round */ }
}

async function upload(event) {
  event.preventDefault();
  const form = new FormData();
  form.append("file", document.getElementById("upload-file").files[0]);
  form.append("pipeline", document.getElementById("upload-pipeline").value);
  const result = document.getElementById("upload-result");
  result.textContent = "uploading…";
  const response = await fetch("api/upload", { method: "POST", body: form, credentials: "same-origin" });
  const body = await response.json().catch(() => ({}));
  result.textContent = response.ok
    ? `uploaded ${body.file_name} (${body.destination === "landing" ? "landing zone" : "run " + body.dag_run_id})`
    : `refused: ${body.detail ?? response.status}`;
  result.dataset.state = response.ok ? "uploaded" : "refused";
  refresh();
}

async function main() {
  const me = await getJson("api/me");
  role = me.role;
  document.getElementById("who").textContent = `${me.user} (${me.role})`;
  document.body.dataset.role = me.role;
  document.getElementById("upload-section").hidden = role !== "admin";
  document.getElementById("upload-form").addEventListener("submit", upload);
  await Promise.all([refresh(), refreshProcessors()]);
  document.body.dataset.loaded = "true";
  setInterval(refresh, REFRESH_MS);
  setInterval(refreshProcessors, 5 * REFRESH_MS);
}

main();
