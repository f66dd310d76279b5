// pick.js: which points the pointer touches: the nearest visible point through a grid index (hover, click),
// and the points inside a lasso or box (the selection, ordered most typical first).

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

// How a new set of points meets the selection: a plain drag replaces it, shift adds, alt takes away, shift+alt
// keeps only the overlap. The same keys work with a legend ctrl-click and with Enter in the query box.
function selectMode(event) {
  if (event.shiftKey && event.altKey) return "intersect";
  if (event.altKey) return "subtract";
  return event.shiftKey ? "add" : "replace";
}

function dragMode(drag, event) {
  // The keys held when the drag began, or else when it ended (a key pressed half-way still counts).
  return drag.mode && drag.mode !== "replace" ? drag.mode : selectMode(event);
}

function combineSelection(inside, mode) {
  // inside: Uint8Array(n), 1 for the new points; mode: "replace", "add", "subtract" or "intersect" (true: "add").
  const sel = S.selected;
  if (mode === true || mode === "add") for (let i = 0; i < S.n; i++) sel[i] |= inside[i];
  else if (mode === "subtract") for (let i = 0; i < S.n; i++) sel[i] &= inside[i] ^ 1;
  else if (mode === "intersect") for (let i = 0; i < S.n; i++) sel[i] &= inside[i];
  else sel.set(inside);
  orderSelection();
}

function selectShape(kind, screenPoints, mode) {
  const xy = currentXY();
  const dataPts = screenPoints.flatMap(([sx, sy]) => toData(sx, sy));
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let k = 0; k < dataPts.length; k += 2) {
    x0 = Math.min(x0, dataPts[k]); x1 = Math.max(x1, dataPts[k]);
    y0 = Math.min(y0, dataPts[k + 1]); y1 = Math.max(y1, dataPts[k + 1]);
  }
  const inside = new Uint8Array(S.n);
  for (let i = 0; i < S.n; i++) {
    const x = xy[2 * i], y = xy[2 * i + 1];
    if (x < x0 || x > x1 || y < y0 || y > y1 || !isVisible(i)) continue;
    if (kind === "box" || inPolygon(x, y, dataPts)) inside[i] = 1;
  }
  combineSelection(inside, mode);
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
