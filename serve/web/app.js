// rewardvision's page: try the models, compare variants, read the model
// cards and the eval reports. Plain JavaScript, no dependencies; it talks
// to the server through the public API only (/v1/...), so what it shows
// is what a client gets. Text from the server is always set as text,
// never as HTML.
"use strict";

const TASKS = [
  { route: "detect", name: "Detection", model: "detection" },
  { route: "caption", name: "Captioning", model: "captioning" },
  { route: "panoptic", name: "Panoptic segmentation", model: "panoptic" },
  { route: "colorize", name: "Colorization", model: "colorization" },
];
const STAGES = ["decode", "preprocess", "queue", "inference", "postprocess", "total"];
// Distinct, readable on light and dark images (Tableau 10).
const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
const SVGNS = "http://www.w3.org/2000/svg";

const state = {
  models: [],       // GET /v1/models
  samples: [],      // /samples/samples.json
  image: null,      // {blob, name, url, sample}
  seq: 0,           // request counter: only the latest answer is drawn
  inflight: 0,      // requests running
};

const $ = (id) => document.getElementById(id);

// el builds an element: el("p", {class: "x"}, "text", child...).
function el(tag, attrs, ...children) {
  const svg = ["svg", "g", "rect", "text", "image", "title"].includes(tag);
  const e = svg ? document.createElementNS(SVGNS, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const fmt = (v, n = 4) => (typeof v === "number" && isFinite(v) ? (Number.isInteger(v) ? String(v) : v.toFixed(n)) : String(v));
const colorOf = (i) => PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
// inkOn: black or white text, whichever reads better on colour c (#rrggbb).
function inkOn(c) {
  const [r, g, b] = [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16) / 255);
  return 0.299 * r + 0.587 * g + 0.114 * b > 0.6 ? "#111" : "#fff";
}

async function getJSON(url) {
  const resp = await fetch(url, { headers: { Accept: "application/json" } });
  const text = await resp.text();
  let body;
  try { body = JSON.parse(text); } catch { body = null; }
  if (!resp.ok) throw apiError(resp.status, body, text);
  return body;
}

// apiError turns the server's envelope into an Error the page can show.
function apiError(status, body, text) {
  const d = body && body.error ? body.error : null;
  const e = new Error(d ? d.message : `HTTP ${status}: ${String(text || "").slice(0, 300) || "empty answer"}`);
  e.status = status;
  e.code = d ? d.code : "";
  e.param = d ? d.param : "";
  e.requestId = d ? d.request_id : "";
  return e;
}

// ---------- views ----------

function showView() {
  const name = (location.hash.replace(/^#/, "").split("?")[0]) || "try";
  // Other fragments (the skip link's #main) leave the view as it is.
  const shown = ["try", "models", "reports"].find((v) => !$("view-" + v).hidden);
  if (!["try", "models", "reports"].includes(name) && shown) return;
  const view = ["try", "models", "reports"].includes(name) ? name : "try";
  for (const v of ["try", "models", "reports"]) $("view-" + v).hidden = v !== view;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.view === view) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (view === "models") renderModels();
  if (view === "reports") loadReports();
}

async function checkReady() {
  const r = $("ready");
  try {
    const h = await getJSON("/readyz");
    r.textContent = `ready · ${(h.models || []).length} models`;
    r.className = "ready ok";
  } catch (e) {
    r.textContent = e.status ? `not ready: ${e.message}` : "server unreachable";
    r.className = "ready bad";
    setTimeout(checkReady, 2000);
  }
}

// ---------- try: controls ----------

function variantsOf(route) {
  return state.models.filter((m) => m.task === route).map((m) => m.variant)
    .filter((v, i, a) => a.indexOf(v) === i).sort(variantOrder);
}
const variantOrder = (a, b) => (a === "mle" ? -1 : b === "mle" ? 1 : a < b ? -1 : a > b ? 1 : 0);

function fillTasks() {
  const sel = $("task");
  sel.replaceChildren();
  for (const t of TASKS) {
    const n = variantsOf(t.route).length;
    sel.append(el("option", { value: t.route }, n ? t.name : `${t.name} (no model yet)`));
  }
  const first = TASKS.find((t) => variantsOf(t.route).length);
  if (first) sel.value = first.route;
}

function fillVariants() {
  const route = $("task").value;
  const vs = variantsOf(route);
  const sel = $("variant");
  const keep = sel.value;
  sel.replaceChildren(el("option", { value: "" }, "server's choice (A/B routing)"));
  for (const v of vs) sel.append(el("option", { value: v }, v));
  sel.append(el("option", { value: "compare" }, "compare: every variant side by side"));
  if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
  const note = $("task-note");
  if (!vs.length) note.textContent = "The repository has no model for this task yet: the server will answer 404, shown below.";
  else note.textContent = `${vs.length} variant${vs.length > 1 ? "s" : ""} loaded: ${vs.join(", ")}.`;
  for (const f of document.querySelectorAll("#controls [data-task]")) f.hidden = f.dataset.task !== route;
  updateSampling();
}

function samplingOn() {
  const many = $("task").value === "caption" && Number($("num_samples").value) > 1;
  return $("decoding").value === "sample" || many;
}

function updateSampling() {
  const on = samplingOn();
  for (const id of ["temperature", "top_k", "top_p", "seed"]) $(id).disabled = !on;
  document.querySelector(".sampling").classList.toggle("off", !on);
}

// query builds the request's parameters from the form: only what the
// user set, so the server's defaults apply to the rest.
function query() {
  const route = $("task").value;
  const q = new URLSearchParams();
  const v = $("variant").value;
  if (v === "compare") q.set("compare", "true");
  else if (v) q.set("variant", v);
  if ($("decoding").value) q.set("decoding", $("decoding").value);
  if (route === "caption") {
    const n = $("num_samples").value.trim();
    if (n && n !== "1") q.set("num_samples", n);
  }
  if (samplingOn()) {
    for (const id of ["temperature", "top_k", "top_p", "seed"]) {
      const x = $(id).value.trim();
      if (x) q.set(id, x);
    }
  }
  return q;
}

// shellQuote quotes for POSIX shells.
const shellQuote = (s) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'");

function curlCommand(route, q, name) {
  const url = `${location.origin}/v1/${route}${q.toString() ? "?" + q.toString() : ""}`;
  return `curl -F ${shellQuote("image=@" + name)} ${shellQuote(url)}`;
}

// ---------- try: images ----------

async function loadSamples() {
  try {
    state.samples = (await getJSON("/samples/samples.json")).samples || [];
  } catch {
    state.samples = [];
  }
  const box = $("samples");
  box.replaceChildren();
  const groups = [["detect", "Detection world"], ["caption", "Captioning world"], ["panoptic", "Panoptic world"]];
  for (const [task, title] of groups) {
    const items = state.samples.filter((s) => s.task === task);
    if (!items.length) continue;
    const row = el("div", { role: "group", "aria-label": title });
    for (const s of items) {
      const what = s.task === "caption" ? s.reference : s.objects.join(", ");
      row.append(el("button", { type: "button", class: "sample", "data-file": s.file, "aria-pressed": "false",
        title: `${s.file}: ${what}`, onclick: () => pickSample(s) },
      el("img", { src: "/samples/" + s.file, alt: `sample ${s.file} (${what})`, width: 56, height: 56 })));
    }
    box.append(el("div", { class: "sample-group" }, el("h3", { text: title }), row));
  }
}

async function pickSample(s) {
  try {
    const resp = await fetch("/samples/" + s.file);
    if (!resp.ok) throw new Error(`sample ${s.file}: HTTP ${resp.status}`);
    setImage(await resp.blob(), s.file, s);
    run();
  } catch (e) {
    showError(e);
  }
}

function setImage(blob, name, sample) {
  if (state.image && state.image.url) URL.revokeObjectURL(state.image.url);
  state.image = { blob, name: name || "image", url: URL.createObjectURL(blob), sample: sample || null };
  for (const b of document.querySelectorAll(".sample")) b.setAttribute("aria-pressed", String(!!sample && b.dataset.file === sample.file));
  $("current").hidden = false;
  $("current-img").src = state.image.url;
  $("current-img").alt = "the image to run: " + state.image.name;
  $("current-name").textContent = `${state.image.name} · ${Math.max(1, Math.round(blob.size / 1024))} KiB`;
}

function wireDrop() {
  const drop = $("drop");
  $("file").addEventListener("change", () => {
    const f = $("file").files[0];
    if (f) { setImage(f, f.name, null); run(); }
  });
  // The whole image box takes a drop; the file input alone is a small target.
  const box = drop.closest("fieldset");
  box.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
  box.addEventListener("dragleave", () => drop.classList.remove("over"));
  box.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    const f = ev.dataTransfer && ev.dataTransfer.files[0];
    if (f) { setImage(f, f.name, null); run(); }
  });
}

// ---------- try: request ----------

async function run() {
  clearError();
  if (!state.image) {
    showError(new Error("Pick an image first: upload one, drop one on the image box, or click a sample."));
    return;
  }
  // inflight counts requests not yet drawn (or dropped); the page's
  // browser test waits for it to be 0.
  $("hint").hidden = true;
  state.inflight++;
  document.body.dataset.inflight = String(state.inflight);
  try {
    await request();
  } finally {
    state.inflight--;
    document.body.dataset.inflight = String(state.inflight);
  }
}

async function request() {
  const route = $("task").value;
  const q = query();
  const seq = ++state.seq;
  const form = new FormData();
  form.append("image", state.image.blob, state.image.name);
  $("run").disabled = true;
  $("busy").textContent = `running ${route}…`;
  $("curl").textContent = curlCommand(route, q, state.image.name);
  let status = 0, body = null, text = "";
  const t0 = performance.now();
  try {
    const resp = await fetch(`/v1/${route}${q.toString() ? "?" + q : ""}`, { method: "POST", body: form });
    status = resp.status;
    text = await resp.text();
    try { body = parseAnswer(text); } catch { body = null; }
  } catch (e) {
    if (seq !== state.seq) return;
    $("run").disabled = false;
    $("busy").textContent = "";
    showError(new Error(`The server could not be reached (${e.message}).`));
    return;
  }
  if (seq !== state.seq) return; // a newer request took over
  $("run").disabled = false;
  $("busy").textContent = `answered in ${Math.round(performance.now() - t0)} ms (round trip)`;
  $("raw").hidden = false;
  $("json").textContent = body ? JSON.stringify(body, shortBase64, 2) : text;
  if (status < 200 || status > 299 || !body) {
    $("results").replaceChildren();
    $("filter").hidden = true;
    showError(apiError(status, body, text));
    return;
  }
  // An unseeded sample reports the seed the server drew: with it, the
  // curl command reproduces this very answer.
  const seeds = (Array.isArray(body.results) ? body.results : [body]).map((r) => r.decoding)
    .filter((d) => d && d.decoding === "sample").map((d) => seedText(d.seed));
  if (seeds.length && !q.has("seed") && seeds.every((x) => x === seeds[0])) {
    q.set("seed", seeds[0]);
    $("curl").textContent = curlCommand(route, q, state.image.name) + "   # with the seed the server drew";
  }
  await render(route, body);
}

// parseAnswer parses an answer keeping every seed's digits: seeds are
// 64-bit, and past 2^53 a JavaScript number rounds them, so a shown seed
// would reproduce nothing. Where the browser cannot keep the number raw
// (JSON.rawJSON), the seed becomes a string.
function parseAnswer(text) {
  if (typeof JSON.rawJSON === "function") {
    return JSON.parse(text, (k, v, ctx) => (k === "seed" && ctx && typeof ctx.source === "string" ? JSON.rawJSON(ctx.source) : v));
  }
  return JSON.parse(text.replace(/"seed":\s*(\d+)/g, '"seed":"$1"'));
}

// seedText is a seed as parseAnswer left it, in digits.
const seedText = (s) => (s !== null && typeof s === "object" && "rawJSON" in s ? s.rawJSON : String(s));

// shortBase64 keeps the JSON view readable: image bytes are elided.
function shortBase64(key, value) {
  if (key === "png" && typeof value === "string" && value.length > 80) return `${value.slice(0, 40)}… (${value.length} base64 characters)`;
  return value;
}

async function render(route, body) {
  const results = Array.isArray(body.results) ? body.results : [body];
  const box = $("results");
  box.className = "results" + (results.length > 1 ? " compare" : " single");
  box.dataset.task = route;
  box.replaceChildren();
  for (const r of results) {
    const col = resultColumn(r);
    box.append(col);
    if (route === "detect") drawDetections(col, r);
    else if (route === "caption") drawCaption(col, r);
    else if (route === "panoptic") await drawPanoptic(col, r);
    else if (route === "colorize") drawColorized(col, r);
    col.append(...[truthNote(route), timingTable(r.timing)].filter(Boolean));
  }
  $("filter").hidden = route !== "detect";
  applyScore();
}

function resultColumn(r) {
  const m = r.model || {};
  const img = r.image || {};
  const d = r.decoding;
  let dec = "";
  if (d) dec = d.decoding === "sample" ? ` · sampled (T=${fmt(d.temperature, 2)}${d.top_k ? ", top-k " + d.top_k : ""}${d.top_p ? ", top-p " + d.top_p : ""}, seed ${seedText(d.seed)})` : " · greedy";
  return el("article", { class: "result", "data-variant": m.variant, "aria-label": `${m.name} version ${m.version}, ${m.variant}` },
    el("h3", {}, `${m.name} `, el("span", { class: "ver" }, `v${m.version}`), " ",
      el("span", { class: "badge " + (m.variant === "reward" ? "reward" : "") }, m.variant)),
    el("p", { class: "meta" }, `${m.task} · image ${img.width}×${img.height} ${img.format || ""}${dec}`));
}

function truthNote(route) {
  const s = state.image && state.image.sample;
  if (!s) return null;
  if (route === "detect" || route === "panoptic") return el("p", { class: "truth" }, `Ground truth of this sample: ${s.objects.join(", ")}.`);
  if (route === "caption") return el("p", { class: "truth" }, "A reference caption of this sample: ", el("q", {}, s.reference), ".");
  return null;
}

function timingTable(t) {
  if (!t) return null;
  const total = t.total_ms || 1;
  const rows = STAGES.map((s) => {
    const ms = t[s + "_ms"] || 0;
    const bar = el("span", { class: "bar" });
    bar.style.width = `${Math.max(0.5, Math.min(100, (100 * ms) / total)) * 0.8}px`;
    return el("tr", { "data-stage": s }, el("td", {}, s), el("td", { class: "num" }, `${fmt(ms, 2)} ms`), el("td", {}, bar));
  });
  return el("details", { class: "timing-box", open: true }, el("summary", {}, `Server time ${fmt(total, 1)} ms, per stage`),
    el("table", { class: "timing" }, el("thead", {}, el("tr", {}, el("th", {}, "stage"), el("th", { class: "num" }, "time"), el("th", {}, ""))),
      el("tbody", {}, rows)));
}

// stage is the picture area of a result: the uploaded image under an SVG
// (or canvas) of the same pixel size.
function stage(r) {
  const w = r.image.width, h = r.image.height;
  const div = el("div", { class: "stage" + (Math.max(w, h) <= 160 ? " small" : "") });
  return { div, w, h };
}

function drawDetections(col, r) {
  const { div, w, h } = stage(r);
  const dets = r.detections || [];
  const fs = Math.max(w, h) / 22;
  const svg = el("svg", { class: "drawing", viewBox: `0 0 ${w} ${h}`, role: "img",
    "aria-label": `${dets.length} box${dets.length === 1 ? "" : "es"} drawn on the image` });
  svg.append(el("image", { href: state.image.url, x: 0, y: 0, width: w, height: h, preserveAspectRatio: "none",
    class: Math.max(w, h) <= 160 ? "pixelated" : null }));
  dets.forEach((d, i) => {
    const [x, y, bw, bh] = d.bbox;
    const c = colorOf(d.category_id - 1);
    const label = `${d.label} ${fmt(d.score, 2)}`;
    const tw = label.length * fs * 0.56 + fs * 0.4;
    const ty = y >= fs * 1.2 ? y - fs * 1.2 : y; // above the box, or inside it at the top edge
    svg.append(el("g", { class: "box", "data-score": d.score, "data-index": i },
      el("title", {}, `${d.label}: score ${fmt(d.score)}, box [${d.bbox.map((v) => fmt(v, 1)).join(", ")}]`),
      el("rect", { class: "frame", x, y, width: bw, height: bh, stroke: c }),
      el("rect", { class: "tag", x, y: ty, width: tw, height: fs * 1.2, fill: c }),
      el("text", { x: x + fs * 0.2, y: ty + fs * 0.95, "font-size": fs, fill: inkOn(c) }, label)));
  });
  div.append(svg);
  const count = el("p", { class: "meta count" });
  const rows = dets.map((d, i) => el("tr", { "data-score": d.score, "data-index": i },
    el("td", {}, el("span", { class: "swatch", "data-color": colorOf(d.category_id - 1) }), d.label),
    el("td", { class: "num" }, fmt(d.score, 3)),
    el("td", { class: "num" }, d.bbox.map((v) => fmt(v, 1)).join(", "))));
  col.append(div, count, el("div", { class: "scroll" }, el("table", { class: "dets" },
    el("thead", {}, el("tr", {}, el("th", {}, "label"), el("th", { class: "num" }, "score"), el("th", { class: "num" }, "box x, y, w, h"))),
    el("tbody", {}, rows))));
  paintSwatches(col);
}

// paintSwatches sets colours through the CSSOM: the page's CSP allows no
// inline style attributes.
function paintSwatches(root) {
  for (const s of root.querySelectorAll(".swatch[data-color]")) s.style.background = s.dataset.color;
}

// applyScore shows the boxes (and their table rows) scoring at least the
// slider's value, in every column.
function applyScore() {
  const t = Number($("score").value);
  $("score-out").value = t.toFixed(2);
  $("score-out").textContent = t.toFixed(2);
  for (const col of document.querySelectorAll("#results .result")) {
    let shown = 0, all = 0;
    for (const g of col.querySelectorAll("svg .box")) {
      const on = Number(g.dataset.score) >= t;
      g.setAttribute("display", on ? "inline" : "none");
      all++;
      if (on) shown++;
    }
    for (const tr of col.querySelectorAll("table.dets tbody tr")) tr.hidden = Number(tr.dataset.score) < t;
    const count = col.querySelector(".count");
    if (count) count.textContent = `${shown} of ${all} box${all === 1 ? "" : "es"} shown (score ≥ ${t.toFixed(2)})`;
  }
}

function drawCaption(col, r) {
  const { div, w, h } = stage(r);
  div.append(el("img", { src: state.image.url, alt: "the uploaded image", width: w, height: h }));
  const lp = r.log_prob;
  col.append(div,
    el("p", { class: "caption-text" }, el("q", { class: "caption" }, r.caption)),
    el("p", { class: "meta" }, `log-probability ${fmt(lp, 3)} (probability ${(100 * Math.exp(lp)).toPrecision(3)}%)`));
  const cands = r.candidates || [];
  if (cands.length) {
    const rows = cands.map((c, i) => el("tr", { class: c.caption === r.caption && c.log_prob === lp ? "chosen" : null },
      el("td", { class: "num" }, i + 1), el("td", { class: "cand" }, c.caption), el("td", { class: "num" }, fmt(c.log_prob, 3))));
    col.append(el("div", { class: "scroll" }, el("table", { class: "candidates" },
      el("caption", { class: "meta" }, `${cands.length} sampled candidates; the likeliest is the caption`),
      el("thead", {}, el("tr", {}, el("th", { class: "num" }, "#"), el("th", {}, "candidate"), el("th", { class: "num" }, "log p"))),
      el("tbody", {}, rows))));
  }
}

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error("the server's PNG could not be decoded"));
    img.src = src;
  });
}

// drawPanoptic colours each segment of the panoptic PNG (COCO's id =
// R + 256·G + 256²·B; 0 is void) over the image, with a legend.
async function drawPanoptic(col, r) {
  const { div, w, h } = stage(r);
  const segs = r.segments_info || [];
  const colour = new Map();
  segs.forEach((s, i) => colour.set(s.id, colorOf(i)));
  const base = el("img", { src: state.image.url, alt: "the uploaded image", width: w, height: h });
  const canvas = el("canvas", { class: "overlay", width: w, height: h, role: "img",
    "aria-label": `panoptic overlay with ${segs.length} segments` });
  div.append(base, canvas);
  col.append(div);
  try {
    const png = await loadImage("data:image/png;base64," + r.png);
    const ctx = canvas.getContext("2d");
    ctx.drawImage(png, 0, 0, w, h);
    const px = ctx.getImageData(0, 0, w, h);
    const rgb = new Map();
    for (const [id, c] of colour) rgb.set(id, [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16)));
    const d = px.data;
    for (let i = 0; i < d.length; i += 4) {
      const id = d[i] + 256 * d[i + 1] + 65536 * d[i + 2];
      const c = rgb.get(id);
      if (c) { d[i] = c[0]; d[i + 1] = c[1]; d[i + 2] = c[2]; d[i + 3] = 150; } else d[i + 3] = 0;
    }
    ctx.putImageData(px, 0, 0);
  } catch (e) {
    col.append(el("p", { class: "error" }, e.message));
  }
  const legend = el("ul", { class: "legend", "aria-label": "segments" },
    segs.map((s) => el("li", { "data-segment": s.id },
      el("span", { class: "swatch", "data-color": colour.get(s.id) }),
      `${s.label || "category " + s.category_id}${s.iscrowd ? " (crowd)" : ""} · ${s.area} px`)));
  col.append(legend);
  paintSwatches(col);
}

function drawColorized(col, r) {
  const small = Math.max(r.image.width, r.image.height) <= 160 ? "pixelated" : null;
  col.append(el("div", { class: "pair" },
    el("figure", {}, el("img", { src: state.image.url, alt: "the uploaded image", class: small }), el("figcaption", {}, "input")),
    el("figure", {}, el("img", { class: "colorized " + (small || ""), src: "data:image/png;base64," + r.png, alt: "the colorized image" }),
      el("figcaption", {}, "colorized"))));
}

// ---------- errors ----------

const PARAM_FIELDS = { temperature: "temperature", top_k: "top_k", top_p: "top_p", seed: "seed", num_samples: "num_samples",
  decoding: "decoding", variant: "variant" };

function showError(e) {
  const box = $("error");
  const title = e.status ? `The server answered ${e.status}${e.code ? " " + e.code : ""}` : "Something went wrong";
  const extra = [];
  if (e.status === 404 && /no model/.test(e.message)) extra.push("The Models page lists what the repository holds.");
  if (e.requestId) extra.push(el("small", {}, `request id ${e.requestId} (the server's log has it)`));
  box.replaceChildren(el("strong", {}, title), el("span", { class: "msg" }, e.message),
    extra.length ? el("span", { class: "more" }, extra.flatMap((x) => [x, " "])) : null);
  box.hidden = false;
  const field = e.param && PARAM_FIELDS[e.param] ? $(PARAM_FIELDS[e.param]) : null;
  if (field) field.setAttribute("aria-invalid", "true");
}

function clearError() {
  $("error").hidden = true;
  $("error").replaceChildren();
  for (const f of document.querySelectorAll("[aria-invalid]")) f.removeAttribute("aria-invalid");
}

// ---------- models page ----------

function kv(pairs) {
  return el("dl", { class: "kv" }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

function renderModels() {
  const root = $("models");
  root.replaceChildren();
  if (!state.models.length) {
    root.append(el("p", {}, "No models: the server's repository is empty or could not be read."));
    return;
  }
  for (const t of TASKS) {
    const ms = state.models.filter((m) => m.task === t.route)
      .sort((a, b) => variantOrder(a.variant, b.variant) || a.name.localeCompare(b.name) || a.version - b.version);
    if (!ms.length) continue;
    const group = el("section", { class: "task-group", "aria-label": t.name }, el("h3", {}, `${t.name} (/v1/${t.route})`));
    group.append(metricsComparison(ms));
    const cards = el("div", { class: "cards" });
    for (const m of ms) cards.append(modelCard(m));
    group.append(cards);
    root.append(group);
  }
}

// metricsComparison: the shipped validation metrics of a task's entries
// side by side, the offline view of MLE against reward-tuned.
function metricsComparison(ms) {
  const keys = [];
  for (const m of ms) for (const k of Object.keys(((m.manifest || {}).provenance || {}).metrics || {})) if (!keys.includes(k)) keys.push(k);
  if (!keys.length) return el("p", { class: "note" }, "No validation metrics shipped with these entries.");
  keys.sort();
  return el("div", { class: "scroll" }, el("table", { class: "metrics-compare" },
    el("caption", { class: "meta" }, "Validation metrics at export (model.json provenance.metrics)"),
    el("thead", {}, el("tr", {}, el("th", {}, "metric"), ms.map((m) => el("th", { class: "num" }, `${m.name} v${m.version}`)))),
    el("tbody", {}, keys.map((k) => el("tr", {}, el("td", {}, k),
      ms.map((m) => {
        const v = (((m.manifest || {}).provenance || {}).metrics || {})[k];
        return el("td", { class: "num" }, v === undefined ? "–" : fmt(v));
      }))))));
}

function modelCard(m) {
  const mf = m.manifest || {};
  const p = mf.provenance || {};
  const a = mf.architecture || {};
  const inp = mf.input || {};
  const labels = (mf.labels || []).map((l) => l.name).join(", ");
  return el("article", { class: "card model", "data-model": `${m.name}/${m.version}` },
    el("h4", {}, `${m.name} `, el("span", { class: "ver" }, `v${m.version}`), " ",
      el("span", { class: "badge " + (m.variant === "reward" ? "reward" : "") }, m.variant), " ",
      m.ready ? null : el("span", { class: "badge warn" }, "warming up")),
    kv([
      ["task", `${mf.task || m.task} (route /v1/${m.task})`],
      ["input", inp.size ? `${inp.size}×${inp.size}×${inp.channels}${inp.letterbox ? ", letterboxed" : ""}` : ""],
      ["architecture", a.width ? `width ${a.width}, encoder ${a.enc_depth} + decoder ${a.dec_depth} layers, patch ${a.patch_size}, ${a.heads} heads` : ""],
      ["labels", labels],
      ["trained on", p.data],
      ["world", p.world],
      ["steps", p.steps],
      ["seed", p.seed],
      ["reward", p.reward],
      ["init", p.init],
      ["checkpoint", p.checkpoint],
      ["commit", p.commit ? p.commit.slice(0, 12) : ""],
      ["exported at", p.export_commit ? p.export_commit.slice(0, 12) : ""],
    ]),
    p.command ? el("details", {}, el("summary", {}, "training command"), el("pre", {}, p.command)) : null,
    el("details", {}, el("summary", {}, "model.json"), el("pre", { class: "manifest" }, JSON.stringify(mf, null, 2))));
}

// ---------- reports page ----------

const HEADLINE = ["reward", "AP", "AP50", "AR100", "CIDEr-D", "CIDEr", "BLEU-4", "ROUGE-L", "PQ", "SQ", "RQ", "colorfulness"];

async function loadReports() {
  const root = $("reports");
  root.replaceChildren(el("p", { class: "note" }, "loading…"));
  let r;
  try {
    r = await getJSON("/v1/reports");
  } catch (e) {
    root.replaceChildren(el("p", { class: "error" }, `Could not list the reports: ${e.message}`));
    return;
  }
  root.replaceChildren();
  if (!r.dir) {
    root.append(el("p", {}, "The server runs without a reports folder. Start it with ",
      el("code", {}, "rewardvision serve --reports DIR"), " where DIR holds the output folders of ", el("code", {}, "eval run"), "."));
    return;
  }
  if (!r.reports.length) {
    root.append(el("p", {}, "The reports folder holds no eval run yet."));
    return;
  }
  const cards = el("div", { class: "cards" });
  for (const rep of r.reports) cards.append(reportCard(rep));
  root.append(cards);
}

function reportCard(rep) {
  const m = rep.metrics || {};
  const base = "/reports/" + (rep.name ? rep.name.split("/").map(encodeURIComponent).join("/") + "/" : "");
  const vs = Object.keys(m.variants || {}).sort(variantOrder);
  const keys = HEADLINE.filter((k) => vs.some((v) => typeof m.variants[v][k] === "number" && m.variants[v][k] >= 0));
  const ab = m.ab || {};
  const info = m.ab_info;
  return el("article", { class: "card report", "data-report": rep.name },
    el("h4", {}, rep.name || "(the reports folder itself)"),
    kv([["task", m.task], ["images", m.images], ["skipped", m.skipped || undefined],
      ["written", new Date(rep.modified).toLocaleString()]]),
    vs.length && keys.length ? el("div", { class: "scroll" }, el("table", {},
      el("thead", {}, el("tr", {}, el("th", {}, "metric"), vs.map((v) => el("th", { class: "num" }, v)),
        info ? el("th", { class: "num" }, `${info.b} − ${info.a} (95% CI)`) : null)),
      el("tbody", {}, keys.map((k) => el("tr", {}, el("td", {}, k), vs.map((v) => el("td", { class: "num" }, fmt(m.variants[v][k]))),
        info ? el("td", { class: "num" }, ab[k] ? `${ab[k].delta >= 0 ? "+" : ""}${fmt(ab[k].delta)} [${fmt(ab[k].ci95[0])}, ${fmt(ab[k].ci95[1])}]` : "–") : null))))) : null,
    el("p", { class: "links" }, rep.files.map((f) => el("a", { href: base + f, target: f === "report.html" ? "_blank" : null, rel: "noopener" }, f))));
}

// ---------- start ----------

// deepLink applies #try?task=…&variant=…&sample=… so a view can be linked
// to (and the page's own browser test can drive it the same way).
function deepLink() {
  const qs = location.hash.split("?")[1];
  if (!qs) return null;
  const p = new URLSearchParams(qs);
  if (p.get("task") && [...$("task").options].some((o) => o.value === p.get("task"))) $("task").value = p.get("task");
  fillVariants();
  if (p.has("variant")) $("variant").value = p.get("variant");
  if (p.has("num_samples")) $("num_samples").value = p.get("num_samples");
  if (p.has("decoding")) $("decoding").value = p.get("decoding");
  if (p.has("seed")) $("seed").value = p.get("seed");
  if (p.has("score")) $("score").value = p.get("score");
  updateSampling();
  return p.get("sample");
}

async function start() {
  window.addEventListener("hashchange", showView);
  $("controls").addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
  $("task").addEventListener("change", () => { fillVariants(); if (state.image) run(); });
  $("variant").addEventListener("change", () => { if (state.image) run(); });
  for (const id of ["decoding", "num_samples"]) $(id).addEventListener("input", updateSampling);
  $("score").addEventListener("input", applyScore);
  $("copy-curl").addEventListener("click", async () => {
    try { await navigator.clipboard.writeText($("curl").textContent); $("copy-curl").textContent = "Copied"; } catch { /* not allowed: the text is selectable */ }
  });
  wireDrop();
  checkReady();
  try {
    state.models = (await getJSON("/v1/models")).models || [];
  } catch (e) {
    showError(new Error(`Could not list the models: ${e.message}`));
  }
  fillTasks();
  fillVariants();
  await loadSamples();
  showView();
  const sample = deepLink();
  if (sample) {
    const s = state.samples.find((x) => x.file === sample);
    if (s) await pickSample(s);
  }
  document.body.dataset.inflight = String(state.inflight);
  document.body.dataset.ready = "true";
}

start();
