// fmtwist explore: the map of the encoding, every point with its image, selections and a guess to save.
//
// Python (fmtwist_cli/explore/page.py) fills this page with three blocks: a JSON description (#fmtwist-meta),
// the typed arrays packed back to back and base64-encoded (#fmtwist-arrays: map coordinates, one group number per
// point for every colouring, confidences) and every 28 x 28 image as raw bytes, deflated then base64-encoded
// (#fmtwist-images). Nothing is fetched: the page works from file:// with the network off.
//
// All the state lives in one object, S. Handlers only change S and mark what needs drawing again (S.dirty: the
// points; S.overlayDirty: rings and the lasso, on a second canvas on top); one requestAnimationFrame loop draws.
// A hover only redraws the overlay, so it answers within a frame even at 70,000 points. Points are drawn by
// writing pixels straight into an ImageData buffer: at 70,000 points that is several times faster than 70,000
// canvas fillRect calls, and needs no GPU.
"use strict";

const $ = (id) => document.getElementById(id);
const NONE = 10; // "not named" in S.named: the group after the 10 categories in the "your names" colouring
const BACKGROUND = [21, 23, 28]; // --bg in explore.css
const GRID_COLS = 10; // images per row in the selection grid
const PAGE_SIZE = 100; // images per page of the selection grid
const HOVER_RADIUS = 7; // CSS pixels: how near the pointer a point must be to count as hovered
const CLICK_SLOP = 4; // CSS pixels a press may move and still be a click
const COUNT_ROWS = 10; // groups listed per colouring in the selection's counts (all 10 categories fit)

const S = {
  meta: null,
  arrays: null,
  n: 0,
  images: null, // Uint8Array(n * 784) once inflated (after the first frame, so the map shows at once)
  mapIndex: 0,
  colourIndex: 0,
  hidden: [], // per colouring: Uint8Array, 1 = that group is hidden
  rgb: [], // per colouring: Uint8Array(3 * groups)
  bounds: [], // per map: [xmin, xmax, ymin, ymax]
  grids: [], // per map: spatial index for hover, built once the images are in or on first use
  view: { cx: 0, cy: 0, scale: 1 }, // data -> CSS pixels: x' = (x - cx) * scale + width / 2 (y up)
  fitScale: 1, // the scale that shows every point; zoom limits and point size are relative to it
  tool: "pan",
  drag: null, // {kind: "pan" | "lasso" | "box", points: [[x, y], ...] in CSS px, add}
  pointers: new Map(), // active pointers, for pinch zoom
  hover: -1,
  highlight: -1, // the point last clicked, on the map or in the grid: its card stays when nothing is hovered
  selected: null, // Uint8Array(n)
  selection: new Int32Array(0), // selected rows, most typical first
  page: 0,
  named: null, // Uint8Array(n): category index the user gave each point, NONE if none (the "your names" colouring)
  order: null, // draw order: a fixed shuffle, so no group is always painted over the others
  ordered: null, // {key, xy, groups} in draw order, for the current map and colouring (see drawOrder)
  canvas: null,
  ctx: null,
  width: 0, // CSS pixels
  height: 0,
  dpr: 1,
  frame: null, // ImageData at device resolution
  pixels: null, // Uint32Array view of frame
  overlay: null, // the canvas on top: hover and highlight rings, the lasso being drawn
  octx: null,
  dirty: true,
  overlayDirty: true,
  hoverEventTime: null, // when the pointer event that changed the hover happened, until its frame is drawn
  // Read by the benchmark and the tests: when the first frame and the images were ready (ms since the page was
  // opened), each frame's rAF time and drawing time, and each hover's time from pointer event to drawn frame.
  stats: { firstFrame: null, imagesReady: null, frames: [], drawMs: [], hoverMs: [] },
};

// ---------------------------------------------------------------- unpacking what Python wrote

function base64Bytes(text) {
  text = text.trim();
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

const TYPES = { f32: Float32Array, u8: Uint8Array, u16: Uint16Array, i32: Int32Array };

function unpackArrays(layout, bytes) {
  const out = {};
  for (const [name, [type, offset, length]] of Object.entries(layout)) {
    out[name] = new TYPES[type](bytes.buffer, bytes.byteOffset + offset, length);
  }
  return out;
}

async function inflate(bytes) {
  // The browser's own zlib: no JavaScript inflater needs to ship inside the page.
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function hexToRgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

function shuffledOrder(n) {
  // Fisher-Yates with a small fixed-seed generator: the same page always draws in the same order.
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let seed = 12345;
  for (let i = n - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const j = seed % (i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

function mapBounds(xy) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < xy.length; i += 2) {
    const x = xy[i], y = xy[i + 1];
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (!(x1 > x0)) { x0 -= 1; x1 += 1; } // one point, or all points on a line: still a visible box
  if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
  return [x0, x1, y0, y1];
}

// ---------------------------------------------------------------- small accessors

const currentMap = () => S.meta.maps[S.mapIndex];
const currentXY = () => S.arrays[currentMap().array];
const currentColouring = () => S.meta.colourings[S.colourIndex];
const groupsOf = (colouring) => S.arrays[colouring.array];
const colouringByRole = (role) => S.meta.colourings.find((c) => c.role === role);

function isVisible(i) {
  return !S.hidden[S.colourIndex][groupsOf(currentColouring())[i]];
}

// ---------------------------------------------------------------- the view: data <-> screen

function toScreen(i) {
  const xy = currentXY(), v = S.view;
  return [(xy[2 * i] - v.cx) * v.scale + S.width / 2, S.height / 2 - (xy[2 * i + 1] - v.cy) * v.scale];
}

function toData(sx, sy) {
  const v = S.view;
  return [(sx - S.width / 2) / v.scale + v.cx, v.cy - (sy - S.height / 2) / v.scale];
}

function resetView() {
  const [x0, x1, y0, y1] = S.bounds[S.mapIndex];
  S.view.cx = (x0 + x1) / 2;
  S.view.cy = (y0 + y1) / 2;
  S.view.scale = 0.94 * Math.min(S.width / (x1 - x0), S.height / (y1 - y0));
  S.fitScale = S.view.scale; // point size grows with zoom relative to this
  S.dirty = true;
}

function zoomAt(sx, sy, factor) {
  // Keep the data point under (sx, sy) where it is: zoom towards the pointer, not the centre.
  const [dx, dy] = toData(sx, sy);
  S.view.scale = Math.min(Math.max(S.view.scale * factor, S.fitScale * 0.2), S.fitScale * 400);
  S.view.cx = dx - (sx - S.width / 2) / S.view.scale;
  S.view.cy = dy + (sy - S.height / 2) / S.view.scale;
  S.dirty = true;
}

function panBy(dx, dy) {
  S.view.cx -= dx / S.view.scale;
  S.view.cy += dy / S.view.scale;
  S.dirty = true;
}

// Point size and opacity: chosen so that 70,000 points still show where they crowd (small, translucent) and
// 10,000 stay easy to see; zooming in makes them bigger, since the crowd thins out.
function pointStyle() {
  const base = S.n > 30000 ? 2 : S.n > 3000 ? 3 : 5;
  const zoom = S.view.scale / S.fitScale;
  const size = Math.min(base * Math.sqrt(Math.max(zoom, 1)), 12) * S.dpr;
  return { size: Math.max(1, Math.round(size)), alpha: S.n > 30000 ? 0.55 : 0.8 };
}

// ---------------------------------------------------------------- drawing

const masks = new Map();

function discMask(size) {
  // Pixel offsets covering a disc of `size` device pixels across (a square when tiny).
  if (!masks.has(size)) {
    const offsets = [], r = size / 2, c = (size - 1) / 2;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        if (size <= 3 || (x - c) ** 2 + (y - c) ** 2 <= r * r) offsets.push(x - Math.floor(c), y - Math.floor(c));
      }
    }
    masks.set(size, Int32Array.from(offsets));
  }
  return masks.get(size);
}

function resizeCanvas() {
  const rect = S.canvas.getBoundingClientRect();
  const first = S.width === 0;
  S.dpr = window.devicePixelRatio || 1;
  S.width = Math.max(1, rect.width);
  S.height = Math.max(1, rect.height);
  S.canvas.width = S.overlay.width = Math.round(S.width * S.dpr);
  S.canvas.height = S.overlay.height = Math.round(S.height * S.dpr);
  S.frame = S.ctx.createImageData(S.canvas.width, S.canvas.height);
  S.pixels = new Uint32Array(S.frame.data.buffer);
  if (first) resetView();
  S.dirty = true;
}

function drawOrder() {
  // The current map's coordinates and colouring's groups, copied into draw order once: the raster loop then
  // reads memory in sequence instead of jumping around it (twice as fast at 70,000 points).
  const key = `${S.mapIndex}/${S.colourIndex}`;
  if (S.ordered?.key !== key) {
    const xy = currentXY(), groups = groupsOf(currentColouring()), order = S.order;
    const oxy = new Float32Array(2 * S.n), og = new Uint16Array(S.n);
    for (let o = 0; o < S.n; o++) {
      const i = order[o];
      oxy[2 * o] = xy[2 * i];
      oxy[2 * o + 1] = xy[2 * i + 1];
      og[o] = groups[i];
    }
    S.ordered = { key, xy: oxy, groups: og };
  }
  return S.ordered;
}

function rasterize(pass) {
  // pass 0: every visible point (faded when a selection exists and the point is not in it); pass 1: the selection.
  const W = S.canvas.width, H = S.canvas.height, px = S.pixels;
  const { xy, groups } = drawOrder();
  const hidden = S.hidden[S.colourIndex], rgb = S.rgb[S.colourIndex];
  const { size, alpha } = pointStyle();
  const mask = discMask(size), m = mask.length;
  const offsets = new Int32Array(m / 2); // the disc as offsets into the pixel buffer: no per-pixel x, y maths
  for (let j = 0; j < m; j += 2) offsets[j / 2] = mask[j + 1] * W + mask[j];
  const anySelected = S.selection.length > 0;
  const a = Math.round(256 * (pass === 0 && anySelected ? 0.2 : alpha)); // the rest stays visible as context
  const k = S.view.scale * S.dpr, ox = W / 2 - S.view.cx * k, oy = H / 2 + S.view.cy * k;
  const sel = S.selected, order = S.order;
  for (let o = 0; o < S.n; o++) {
    if (anySelected && (sel[order[o]] === 1) !== (pass === 1)) continue;
    const g = groups[o];
    if (hidden[g]) continue;
    const fx = xy[2 * o] * k + ox, fy = oy - xy[2 * o + 1] * k;
    if (fx < -size || fy < -size || fx > W + size || fy > H + size) continue;
    const x = Math.floor(fx), y = Math.floor(fy);
    const cr = rgb[3 * g], cg = rgb[3 * g + 1], cb = rgb[3 * g + 2];
    const inside = x >= size && y >= size && x < W - size && y < H - size; // most points: no edge checks
    const base = y * W + x;
    for (let j = 0; j < offsets.length; j++) {
      if (!inside) {
        const X = x + mask[2 * j], Y = y + mask[2 * j + 1];
        if (X < 0 || Y < 0 || X >= W || Y >= H) continue;
      }
      const p = base + offsets[j], v = px[p];
      const r = v & 255, gg = (v >> 8) & 255, b = (v >> 16) & 255;
      // alpha blending in integers: new = old + (colour - old) * a / 256, per channel (pixels are ABGR words)
      px[p] = 0xff000000 | ((b + (((cb - b) * a) >> 8)) << 16) | ((gg + (((cg - gg) * a) >> 8)) << 8)
        | (r + (((cr - r) * a) >> 8));
    }
  }
}

function ring(i, colour, radius) {
  if (i < 0) return;
  const [x, y] = toScreen(i);
  S.octx.beginPath();
  S.octx.arc(x, y, radius, 0, 2 * Math.PI);
  S.octx.lineWidth = 2;
  S.octx.strokeStyle = colour;
  S.octx.stroke();
}

function drawOverlay() {
  const ctx = S.octx;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, S.overlay.width, S.overlay.height);
  ctx.setTransform(S.dpr, 0, 0, S.dpr, 0, 0);
  ring(S.highlight, "#ffd54a", 9);
  ring(S.hover, "#ffffff", 6);
  if (S.drag && S.drag.kind !== "pan" && S.drag.points.length > 1) {
    const pts = S.drag.points;
    ctx.beginPath();
    if (S.drag.kind === "box") {
      const [a, b] = [pts[0], pts[pts.length - 1]];
      ctx.rect(a[0], a[1], b[0] - a[0], b[1] - a[1]);
    } else {
      ctx.moveTo(pts[0][0], pts[0][1]);
      for (const p of pts) ctx.lineTo(p[0], p[1]);
      ctx.closePath();
    }
    ctx.fillStyle = "rgba(90, 169, 255, 0.12)";
    ctx.fill();
    ctx.setLineDash([5, 4]);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "#5aa9ff";
    ctx.stroke();
    ctx.setLineDash([]);
  }
}

function draw() {
  const start = performance.now();
  const [r, g, b] = BACKGROUND;
  S.pixels.fill(0xff000000 | (b << 16) | (g << 8) | r);
  rasterize(0);
  if (S.selection.length) rasterize(1);
  S.ctx.putImageData(S.frame, 0, 0);
  S.stats.drawMs.push(performance.now() - start);
}

function frame(time) {
  if (S.dirty || S.overlayDirty) {
    if (S.dirty) draw();
    drawOverlay(); // rings follow the points when the view moves
    S.dirty = S.overlayDirty = false;
    S.stats.frames.push(time);
    if (S.hoverEventTime !== null) {
      S.stats.hoverMs.push(performance.now() - S.hoverEventTime);
      S.hoverEventTime = null;
    }
    if (S.stats.firstFrame === null) {
      S.stats.firstFrame = performance.now();
      document.body.dataset.ready = "1";
    }
  }
  requestAnimationFrame(frame);
}

// ---------------------------------------------------------------- hover: the nearest point, through a grid index

function buildGrid(mapIndex) {
  // Points bucketed into cells (counting sort), so a hover looks at a few cells instead of every point.
  const xy = S.arrays[S.meta.maps[mapIndex].array];
  const [x0, x1, y0, y1] = S.bounds[mapIndex];
  const side = Math.max(8, Math.ceil(Math.sqrt(S.n / 4)));
  const cellOf = new Int32Array(S.n), start = new Int32Array(side * side + 1);
  for (let i = 0; i < S.n; i++) {
    const cx = Math.min(side - 1, Math.floor(((xy[2 * i] - x0) / (x1 - x0)) * side));
    const cy = Math.min(side - 1, Math.floor(((xy[2 * i + 1] - y0) / (y1 - y0)) * side));
    cellOf[i] = cy * side + cx;
    start[cellOf[i] + 1]++;
  }
  for (let c = 0; c < side * side; c++) start[c + 1] += start[c];
  const fill = start.slice(0, side * side), items = new Int32Array(S.n);
  for (let i = 0; i < S.n; i++) items[fill[cellOf[i]]++] = i;
  return { side, start, items, x0, y0, w: (x1 - x0) / side, h: (y1 - y0) / side };
}

function nearestPoint(sx, sy, radiusPx) {
  if (!S.grids[S.mapIndex]) S.grids[S.mapIndex] = buildGrid(S.mapIndex);
  const grid = S.grids[S.mapIndex], xy = currentXY();
  const [dx, dy] = toData(sx, sy), r = radiusPx / S.view.scale;
  const clamp = (v) => Math.min(grid.side - 1, Math.max(0, v));
  const cx0 = clamp(Math.floor((dx - r - grid.x0) / grid.w)), cx1 = clamp(Math.floor((dx + r - grid.x0) / grid.w));
  const cy0 = clamp(Math.floor((dy - r - grid.y0) / grid.h)), cy1 = clamp(Math.floor((dy + r - grid.y0) / grid.h));
  let best = -1, bestD = r * r;
  for (let cy = cy0; cy <= cy1; cy++) {
    for (let cx = cx0; cx <= cx1; cx++) {
      const c = cy * grid.side + cx;
      for (let k = grid.start[c]; k < grid.start[c + 1]; k++) {
        const i = grid.items[k];
        const d = (xy[2 * i] - dx) ** 2 + (xy[2 * i + 1] - dy) ** 2;
        if (d <= bestD && isVisible(i)) { best = i; bestD = d; }
      }
    }
  }
  return best;
}

// ---------------------------------------------------------------- the hover card

function putImage(ctx, row, x, y) {
  // One 28 x 28 grey image into RGBA pixels, unscaled: CSS enlarges it with image-rendering: pixelated.
  const img = ctx.createImageData(28, 28), src = S.images.subarray(row * 784, row * 784 + 784);
  for (let p = 0; p < 784; p++) {
    img.data[4 * p] = img.data[4 * p + 1] = img.data[4 * p + 2] = src[p];
    img.data[4 * p + 3] = 255;
  }
  ctx.putImageData(img, x, y);
}

function groupName(colouring, i) {
  let text = colouring.names[groupsOf(colouring)[i]];
  if (colouring.confidence) text += ` (${S.arrays[colouring.confidence][i]} %)`;
  return text;
}

function pointFields(i) {
  const split = S.meta.splits[S.arrays.split[i]];
  const rows = [["row", `${i} (${split} #${S.arrays.index[i]})`]];
  for (const c of S.meta.colourings) rows.push([c.field, groupName(c, i)]);
  return rows;
}

function showPoint(i) {
  const body = $("hover-fields").tBodies[0];
  body.replaceChildren();
  const ctx = $("hover-image").getContext("2d");
  if (i < 0) {
    ctx.clearRect(0, 0, 28, 28);
    body.insertRow().insertCell().textContent = "Point at a dot to see its image.";
    $("hover-card").dataset.row = "";
    return;
  }
  for (const [k, v] of pointFields(i)) {
    const tr = body.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().textContent = v;
  }
  if (S.images) putImage(ctx, i, 0, 0);
  else ctx.clearRect(0, 0, 28, 28);
  $("hover-card").dataset.row = String(i); // read by the browser tests
}

function setHover(i) {
  if (i === S.hover) return;
  S.hover = i;
  showPoint(i >= 0 ? i : S.highlight);
  S.overlayDirty = true;
}

// ---------------------------------------------------------------- selection

function inPolygon(x, y, poly) {
  // Even-odd rule: count crossings of a ray going right from (x, y).
  let inside = false;
  for (let a = 0, b = poly.length - 2; a < poly.length; b = a, a += 2) {
    const ya = poly[a + 1], yb = poly[b + 1];
    if (ya > y !== yb > y && x < ((poly[b] - poly[a]) * (y - ya)) / (yb - ya) + poly[a]) inside = !inside;
  }
  return inside;
}

function selectShape(kind, screenPoints, add) {
  const xy = currentXY();
  const dataPts = screenPoints.flatMap(([sx, sy]) => toData(sx, sy));
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let k = 0; k < dataPts.length; k += 2) {
    x0 = Math.min(x0, dataPts[k]); x1 = Math.max(x1, dataPts[k]);
    y0 = Math.min(y0, dataPts[k + 1]); y1 = Math.max(y1, dataPts[k + 1]);
  }
  if (!add) S.selected.fill(0);
  for (let i = 0; i < S.n; i++) {
    const x = xy[2 * i], y = xy[2 * i + 1];
    if (x < x0 || x > x1 || y < y0 || y > y1 || !isVisible(i)) continue;
    if (kind === "box" || inPolygon(x, y, dataPts)) S.selected[i] = 1;
  }
  orderSelection();
}

function orderSelection() {
  // "Most typical first": nearest the selection's centre on the current map.
  const rows = [];
  for (let i = 0; i < S.n; i++) if (S.selected[i]) rows.push(i);
  const xy = currentXY();
  let mx = 0, my = 0;
  for (const i of rows) { mx += xy[2 * i]; my += xy[2 * i + 1]; }
  mx /= rows.length || 1;
  my /= rows.length || 1;
  const dist = new Float64Array(S.n);
  for (const i of rows) dist[i] = (xy[2 * i] - mx) ** 2 + (xy[2 * i + 1] - my) ** 2;
  rows.sort((a, b) => dist[a] - dist[b] || a - b);
  S.selection = Int32Array.from(rows);
  S.page = 0;
  S.dirty = true;
  showSelection();
}

function clearSelection() {
  S.selected.fill(0);
  S.selection = new Int32Array(0);
  S.highlight = -1;
  S.dirty = true;
  showSelection();
}

function countBy(colouring, rows) {
  const groups = groupsOf(colouring), counts = new Array(colouring.names.length).fill(0);
  for (const i of rows) counts[groups[i]]++;
  return counts;
}

function countsTable(colouring, rows) {
  // The groups of one colouring inside the selection, largest first, each with a bar in its colour.
  const counts = countBy(colouring, rows);
  const table = document.createElement("table");
  table.dataset.colouring = colouring.key;
  table.createTHead().insertRow().innerHTML = "<th colspan=3></th>";
  table.tHead.rows[0].cells[0].textContent = `by ${colouring.field}`;
  const body = table.createTBody();
  const order = counts.map((c, g) => g).filter((g) => counts[g] > 0).sort((a, b) => counts[b] - counts[a]);
  for (const g of order.slice(0, COUNT_ROWS)) {
    const tr = body.insertRow();
    tr.dataset.group = colouring.names[g];
    tr.dataset.count = counts[g];
    tr.insertCell().textContent = colouring.names[g];
    tr.insertCell().className = "n";
    tr.cells[1].textContent = counts[g];
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.style.width = `${(100 * counts[g]) / rows.length}%`;
    bar.style.background = colouring.colours[g];
    tr.insertCell().append(bar);
  }
  const more = order.length - COUNT_ROWS;
  if (more > 0) body.insertRow().insertCell().textContent = `… and ${more} more`;
  return table;
}

function showSelection() {
  const rows = S.selection, any = rows.length > 0;
  $("selection-size").textContent = any ? `${rows.length.toLocaleString("en")} points` : "none";
  $("selection-size").dataset.count = rows.length;
  $("selection-body").hidden = !any;
  $("selection-hint").hidden = any;
  if (!any) return;
  const tables = S.meta.colourings.filter((c) => c.role !== "correct").map((c) => countsTable(c, rows));
  $("selection-counts").replaceChildren(...tables);
  showGridPage();
}

function showGridPage() {
  const rows = S.selection, pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  S.page = Math.min(Math.max(S.page, 0), pages - 1);
  const first = S.page * PAGE_SIZE, shown = rows.subarray(first, first + PAGE_SIZE);
  $("page-label").textContent = `page ${S.page + 1} of ${pages}`;
  $("page-prev").disabled = S.page === 0;
  $("page-next").disabled = S.page >= pages - 1;
  const canvas = $("selection-grid"), tile = 29; // 28 pixels and a 1-pixel gap
  canvas.width = GRID_COLS * tile;
  canvas.height = Math.ceil(shown.length / GRID_COLS) * tile;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (!S.images) return; // drawn again once the images are inflated
  shown.forEach((row, k) => putImage(ctx, row, (k % GRID_COLS) * tile, Math.floor(k / GRID_COLS) * tile));
  if (S.highlight >= 0) {
    const k = Array.prototype.indexOf.call(shown, S.highlight);
    if (k >= 0) {
      ctx.strokeStyle = "#ffd54a";
      ctx.strokeRect((k % GRID_COLS) * tile + 0.5, Math.floor(k / GRID_COLS) * tile + 0.5, 28, 28);
    }
  }
}

function gridClick(event) {
  // Which tile was clicked: the canvas is scaled by CSS, so map the click back to canvas pixels.
  const canvas = $("selection-grid"), rect = canvas.getBoundingClientRect(), tile = 29;
  const col = Math.floor(((event.clientX - rect.left) * canvas.width) / rect.width / tile);
  const line = Math.floor(((event.clientY - rect.top) * canvas.height) / rect.height / tile);
  const row = S.selection[S.page * PAGE_SIZE + line * GRID_COLS + col];
  if (row === undefined || col >= GRID_COLS) return;
  S.highlight = row;
  const [x, y] = toScreen(row);
  if (x < 0 || y < 0 || x > S.width || y > S.height) panBy(S.width / 2 - x, S.height / 2 - y); // bring it into view
  showPoint(row);
  showGridPage();
  S.overlayDirty = true;
}

// ---------------------------------------------------------------- the guess: names given to selections

function nameSelection() {
  const category = Number($("name-choice").value);
  for (const i of S.selection) S.named[i] = category; // a point named twice keeps its latest name
  namesChanged();
}

function addNamesColouring() {
  // The user's names are one more colouring, so the map, the legend and the counts show them like any other.
  S.arrays.named = S.named;
  S.meta.colourings.push({
    key: "named", title: "your names", field: "you named it", role: "named", array: "named",
    names: [...S.meta.categories, "not named"], colours: [...S.meta.category_colours, S.meta.unnamed_colour],
  });
}

function namesChanged() {
  S.ordered = null; // the draw-order copy of the groups is stale when "your names" is shown
  if (currentColouring().role === "named") { S.dirty = true; showLegend(); }
  if (S.selection.length) showSelection();
  showPoint(S.hover >= 0 ? S.hover : S.highlight);
  showTally();
}

function tally() {
  // For each category: the mystery class most of the images named so belong to, with its share.
  const k = S.meta.n_classes, classes = S.arrays[colouringByRole("class").array];
  const counts = S.meta.categories.map(() => new Array(k).fill(0));
  for (let i = 0; i < S.n; i++) if (S.named[i] !== NONE) counts[S.named[i]][classes[i]]++;
  return counts.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    const best = row.indexOf(Math.max(...row));
    return total ? { total, best, share: row[best] / total } : { total: 0, best: -1, share: 0 };
  });
}

function showTally() {
  const rows = tally(), auto = S.meta.auto_guess;
  const table = $("tally");
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const title of ["category", "named", "→ class", auto ? "reference says" : null]) {
    if (title === null) continue;
    const th = head.appendChild(document.createElement("th"));
    th.textContent = title;
    if (title === "named") th.className = "n";
  }
  const body = table.createTBody();
  S.meta.categories.forEach((name, j) => {
    const t = rows[j], tr = body.insertRow();
    tr.dataset.category = name;
    tr.insertCell().textContent = name;
    tr.insertCell().className = "n";
    tr.cells[1].textContent = t.total || "–";
    tr.insertCell().textContent = t.total ? `class ${t.best} (${Math.round(100 * t.share)} %)` : "–";
    if (auto) tr.insertCell().textContent = `class ${auto.merge_map[name]}`;
  });
  const placed = new Set(rows.filter((t) => t.total).map((t) => t.best));
  const empty = [...Array(S.meta.n_classes).keys()].filter((c) => !placed.has(c));
  $("unplaced").textContent = empty.length
    ? `No category yet in class${empty.length > 1 ? "es" : ""} ${empty.join(", ")}.`
    : "Every class has at least one category.";
  $("unplaced").className = empty.length ? "small missing" : "small";
}

function guessObject() {
  // The format `fmtwist grade` reads: categories the user never named are left out.
  const merge = {};
  tally().forEach((t, j) => { if (t.total) merge[S.meta.categories[j]] = t.best; });
  return { kind: "fmtwist-guess", n_classes: S.meta.n_classes, merge_map: merge };
}

function saveGuess() {
  const blob = new Blob([JSON.stringify(guessObject(), null, 2) + "\n"], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = "guess.json";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// ---------------------------------------------------------------- legend and controls

function showLegend() {
  const c = currentColouring(), groups = groupsOf(c), counts = new Array(c.names.length).fill(0);
  for (let i = 0; i < S.n; i++) counts[groups[i]]++;
  $("legend-title").textContent = c.title;
  const items = c.names.map((name, g) => {
    const li = document.createElement("li");
    li.dataset.group = g;
    li.className = S.hidden[S.colourIndex][g] ? "off" : "";
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = c.colours[g];
    const label = document.createElement("span");
    label.textContent = name;
    const count = document.createElement("span");
    count.className = "count";
    count.textContent = counts[g].toLocaleString("en");
    li.append(swatch, label, count);
    li.addEventListener("click", () => toggleGroup(g)); // hide a group to see what lies under it
    return li;
  });
  $("legend").replaceChildren(...items);
}

function toggleGroup(g) {
  const hidden = S.hidden[S.colourIndex];
  hidden[g] = hidden[g] ? 0 : 1;
  S.dirty = true;
  showLegend();
}

function setTool(tool) {
  S.tool = tool;
  for (const name of ["pan", "lasso", "box"]) $(`tool-${name}`).classList.toggle("active", name === tool);
  S.canvas.classList.toggle("selecting", tool !== "pan");
}

function fillSelect(select, labels) {
  select.replaceChildren(...labels.map((label, k) => new Option(label, String(k))));
}

// ---------------------------------------------------------------- pointer input

function localPoint(event) {
  const rect = S.canvas.getBoundingClientRect();
  return [event.clientX - rect.left, event.clientY - rect.top];
}

function onPointerDown(event) {
  S.canvas.setPointerCapture(event.pointerId);
  S.pointers.set(event.pointerId, localPoint(event));
  if (S.pointers.size === 2) { S.drag = { kind: "pinch", points: [] }; return; } // a second finger: pinch, not drag
  const kind = S.tool === "pan" || event.button === 1 ? "pan" : S.tool;
  S.drag = { kind, points: [localPoint(event)], add: event.shiftKey, moved: 0 };
}

function onPointerMove(event) {
  const p = localPoint(event);
  if (S.drag && S.drag.kind === "pinch" && S.pointers.has(event.pointerId)) {
    const [a, b] = [...S.pointers.values()];
    const before = Math.hypot(a[0] - b[0], a[1] - b[1]);
    S.pointers.set(event.pointerId, p);
    const [c, d] = [...S.pointers.values()];
    const after = Math.hypot(c[0] - d[0], c[1] - d[1]);
    if (before > 0) zoomAt((c[0] + d[0]) / 2, (c[1] + d[1]) / 2, after / before);
    return;
  }
  if (S.drag) {
    const last = S.drag.points[S.drag.points.length - 1];
    S.drag.moved += Math.hypot(p[0] - last[0], p[1] - last[1]);
    if (S.drag.kind === "pan") {
      panBy(p[0] - last[0], p[1] - last[1]);
      S.drag.points.push(p);
      return;
    }
    if (S.drag.kind === "box") S.drag.points = [S.drag.points[0], p];
    else S.drag.points.push(p);
    S.overlayDirty = true;
    return;
  }
  const found = nearestPoint(p[0], p[1], Math.max(HOVER_RADIUS, pointStyle().size / S.dpr));
  if (found !== S.hover) S.hoverEventTime = event.timeStamp;
  setHover(found);
}

function onPointerUp(event) {
  S.pointers.delete(event.pointerId);
  const drag = S.drag;
  S.drag = null;
  if (!drag || drag.kind === "pinch") { S.overlayDirty = true; return; }
  if (drag.kind === "pan" && drag.moved < CLICK_SLOP && S.hover >= 0) {
    S.highlight = S.hover; // a click on a point keeps its card when the pointer leaves
    showPoint(S.hover);
  } else if (drag.kind === "lasso" && drag.points.length > 2) {
    selectShape("lasso", drag.points, drag.add || event.shiftKey);
  } else if (drag.kind === "box" && drag.moved >= CLICK_SLOP) {
    selectShape("box", drag.points, drag.add || event.shiftKey);
  }
  S.overlayDirty = true; // the lasso goes away
}

function onWheel(event) {
  event.preventDefault(); // the page itself must not scroll; a trackpad pinch arrives as a wheel with ctrlKey
  const [x, y] = localPoint(event);
  const scale = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? S.height : 1;
  zoomAt(x, y, Math.exp(-event.deltaY * scale * (event.ctrlKey ? 0.01 : 0.0015)));
}

function wire() {
  S.canvas.addEventListener("pointerdown", onPointerDown);
  S.canvas.addEventListener("pointermove", onPointerMove);
  S.canvas.addEventListener("pointerup", onPointerUp);
  S.canvas.addEventListener("pointercancel", onPointerUp);
  S.canvas.addEventListener("pointerleave", () => { if (!S.drag) setHover(-1); });
  S.canvas.addEventListener("wheel", onWheel, { passive: false });
  new ResizeObserver(resizeCanvas).observe($("map-wrap"));
  $("map-choice").addEventListener("change", (e) => {
    S.mapIndex = Number(e.target.value);
    resetView();
    if (S.selection.length) orderSelection(); // "typical" depends on the map
  });
  $("colour-choice").addEventListener("change", (e) => {
    S.colourIndex = Number(e.target.value);
    S.dirty = true;
    showLegend();
  });
  for (const tool of ["pan", "lasso", "box"]) $(`tool-${tool}`).addEventListener("click", () => setTool(tool));
  $("reset-view").addEventListener("click", resetView);
  $("legend-all").addEventListener("click", () => { S.hidden[S.colourIndex].fill(0); S.dirty = true; showLegend(); });
  $("selection-clear").addEventListener("click", clearSelection);
  $("page-prev").addEventListener("click", () => { S.page--; showGridPage(); });
  $("page-next").addEventListener("click", () => { S.page++; showGridPage(); });
  $("selection-grid").addEventListener("click", gridClick);
  $("name-apply").addEventListener("click", nameSelection);
  $("save-guess").addEventListener("click", saveGuess);
  $("clear-names").addEventListener("click", () => { S.named.fill(NONE); namesChanged(); });
  window.addEventListener("keydown", (e) => { if (e.key === "Escape") clearSelection(); });
}

// ---------------------------------------------------------------- start

async function start() {
  S.meta = JSON.parse($("fmtwist-meta").textContent);
  S.n = S.meta.n;
  S.arrays = unpackArrays(S.meta.arrays, base64Bytes($("fmtwist-arrays").textContent));
  S.bounds = S.meta.maps.map((m) => mapBounds(S.arrays[m.array]));
  S.selected = new Uint8Array(S.n);
  S.named = new Uint8Array(S.n).fill(NONE);
  addNamesColouring();
  S.hidden = S.meta.colourings.map((c) => new Uint8Array(c.names.length));
  S.rgb = S.meta.colourings.map((c) => Uint8Array.from(c.colours.flatMap(hexToRgb)));
  S.order = shuffledOrder(S.n);
  S.canvas = $("map");
  S.ctx = S.canvas.getContext("2d");
  S.overlay = $("map-overlay");
  S.octx = S.overlay.getContext("2d");
  fillSelect($("map-choice"), S.meta.maps.map((m) => m.label));
  fillSelect($("colour-choice"), S.meta.colourings.map((c) => c.title));
  fillSelect($("name-choice"), S.meta.categories);
  $("status").textContent = S.meta.status;
  wire();
  resizeCanvas();
  showLegend();
  showTally();
  requestAnimationFrame(frame);
  // The images are not needed for the first frame: read and inflate them while the map is already on screen.
  if (document.readyState === "loading") {
    await new Promise((done) => document.addEventListener("DOMContentLoaded", done));
  }
  const packed = $("fmtwist-images");
  S.images = await inflate(base64Bytes(packed.textContent));
  packed.textContent = ""; // the base64 text is no longer needed
  S.stats.imagesReady = performance.now();
  if (!S.grids[S.mapIndex]) S.grids[S.mapIndex] = buildGrid(S.mapIndex); // now, not on the first hover
  document.body.dataset.images = "1";
  showPoint(S.hover >= 0 ? S.hover : S.highlight);
  if (S.selection.length) showGridPage();
}

// For the browser tests and the benchmark: the state, and where a point is on screen.
window.fmtwistExplore = { state: S, toScreen, toData, ready: start() };
