// layers.js: the student's reasoning drawn on the map, over the points: each named set's category name at its
// centre, optional density outlines of the visible groups of the current colouring, and, zoomed in far enough,
// every point as its own 28 x 28 image instead of a dot.
//
// What was drawn last is kept in S.layers (per map pane, see twin.js), for the browser tests and the benchmark:
//   labels: [{category, name, n, x, y}] in CSS pixels of the pane; thumbs: images drawn in the last frame;
//   cellPx: a point's cell on screen; outlines: [{group, segments}].

const THUMB_CELL_PX = 20; // a point's cell (median distance to its nearest neighbour) wider than this: images
const THUMB_MAX_PX = 56; // an image grows with the zoom up to twice its own size
const OUTLINE_GRID = 64; // density cells across the map's longer side
const OUTLINE_MASS = 0.8; // an outline encloses the densest cells holding this share of the group's points
const NN_SAMPLE = 2000; // points whose nearest neighbour sets a map's cell size

const spacingCache = []; // per map: median nearest-neighbour distance, in data units
let outlineCache = null; // {key, outlines: [{group, colour, segments: Float32Array (x0 y0 x1 y1 ...) in data}]}
const centreCache = []; // per map: [{category, n, x, y}] in data units, for the names as namesSeen holds them
let namesSeen = null; // a copy of S.named as the labels were last drawn

// ---------------------------------------------------------------- thumbnails

function mapSpacing(mapIndex) {
  // The median distance from a point to its nearest neighbour: the side of "a point's cell" in data units. On a
  // fixed stride sample of NN_SAMPLE points (every point when fewer), through pick.js's grid index.
  if (spacingCache[mapIndex] !== undefined) return spacingCache[mapIndex];
  if (!S.grids[mapIndex]) S.grids[mapIndex] = buildGrid(mapIndex);
  const grid = S.grids[mapIndex], xy = S.arrays[S.meta.maps[mapIndex].array];
  const stride = Math.max(1, Math.floor(S.n / NN_SAMPLE)), found = [];
  for (let i = 0; i < S.n; i += stride) {
    const gx = Math.min(grid.side - 1, Math.floor((xy[2 * i] - grid.x0) / grid.w));
    const gy = Math.min(grid.side - 1, Math.floor((xy[2 * i + 1] - grid.y0) / grid.h));
    let best = Infinity;
    // Rings of cells outwards until a ring lies wholly beyond the best distance found.
    for (let r = 0; r < grid.side; r++) {
      if (best < Infinity && (r - 1) * Math.min(grid.w, grid.h) > Math.sqrt(best)) break;
      for (let cy = gy - r; cy <= gy + r; cy++) {
        for (let cx = gx - r; cx <= gx + r; cx++) {
          if (cx < 0 || cy < 0 || cx >= grid.side || cy >= grid.side) continue;
          if (Math.max(Math.abs(cx - gx), Math.abs(cy - gy)) !== r) continue; // this ring only
          const c = cy * grid.side + cx;
          for (let k = grid.start[c]; k < grid.start[c + 1]; k++) {
            const j = grid.items[k];
            if (j === i) continue;
            const d = (xy[2 * j] - xy[2 * i]) ** 2 + (xy[2 * j + 1] - xy[2 * i + 1]) ** 2;
            if (d < best) best = d;
          }
        }
      }
    }
    if (best < Infinity) found.push(Math.sqrt(best));
  }
  found.sort((a, b) => a - b);
  const [x0, x1, y0, y1] = S.bounds[mapIndex];
  const median = found.length ? found[Math.floor((found.length - 1) / 2)] : Math.max(x1 - x0, y1 - y0);
  spacingCache[mapIndex] = median > 0 ? median : Math.max(x1 - x0, y1 - y0) / Math.sqrt(S.n);
  return spacingCache[mapIndex];
}

function thumbSize() {
  // Device pixels across one image, or 0 while points stay dots (not zoomed in far enough, or no images yet).
  const cell = mapSpacing(S.mapIndex) * S.view.scale;
  S.layers.cellPx = cell;
  if (!S.images || cell <= THUMB_CELL_PX || S.anim) return 0;
  return Math.round(Math.min(cell, THUMB_MAX_PX) * S.dpr);
}

function rasterThumbs(pass, size) {
  // Each point in view as its image, nearest-neighbour scaled to size x size device pixels and framed in its
  // group's colour (the colouring stays readable); faded like the dots when a selection leaves it out.
  const W = S.canvas.width, H = S.canvas.height, px = S.pixels, images = S.images;
  const { xy, groups } = drawOrder();
  const hidden = S.hidden[S.colourIndex], rgb = S.rgb[S.colourIndex];
  const anySelected = S.selection.length > 0, dim = pass === 0 && anySelected ? 80 : 256;
  const k = S.view.scale * S.dpr, ox = W / 2 - S.view.cx * k, oy = H / 2 + S.view.cy * k;
  const src = new Int32Array(size), half = Math.floor(size / 2), frame = size >= 24 ? 2 : 1;
  for (let j = 0; j < size; j++) src[j] = Math.floor((j * 28) / size);
  const sel = S.selected, order = S.order;
  let drawn = 0;
  for (let o = 0; o < S.n; o++) {
    if (anySelected && (sel[order[o]] === 1) !== (pass === 1)) continue;
    const g = groups[o];
    if (hidden[g]) continue;
    const x0 = Math.floor(xy[2 * o] * k + ox) - half, y0 = Math.floor(oy - xy[2 * o + 1] * k) - half;
    if (x0 + size <= 0 || y0 + size <= 0 || x0 >= W || y0 >= H) continue;
    const base = order[o] * 784;
    const cr = (rgb[3 * g] * dim) >> 8, cg = (rgb[3 * g + 1] * dim) >> 8, cb = (rgb[3 * g + 2] * dim) >> 8;
    const edge = 0xff000000 | (cb << 16) | (cg << 8) | cr;
    for (let yy = 0; yy < size; yy++) {
      const Y = y0 + yy;
      if (Y < 0 || Y >= H) continue;
      const row = base + src[yy] * 28, line = Y * W, border = yy < frame || yy >= size - frame;
      for (let xx = 0; xx < size; xx++) {
        const X = x0 + xx;
        if (X < 0 || X >= W) continue;
        if (border || xx < frame || xx >= size - frame) { px[line + X] = edge; continue; }
        const v = (images[row + src[xx]] * dim) >> 8;
        px[line + X] = 0xff000000 | (v << 16) | (v << 8) | v;
      }
    }
    drawn++;
  }
  S.layers.thumbs += drawn;
}

// ---------------------------------------------------------------- names at their centres

function nameCentres() {
  // Each named category's mean position on the current map (data units), recomputed when names or map change.
  if (!centreCache[S.mapIndex]) {
    const xy = currentXY(), sx = new Float64Array(NONE), sy = new Float64Array(NONE), n = new Int32Array(NONE);
    for (let i = 0; i < S.n; i++) {
      const c = S.named[i];
      if (c === NONE) continue;
      sx[c] += xy[2 * i];
      sy[c] += xy[2 * i + 1];
      n[c]++;
    }
    const centres = [];
    for (let c = 0; c < NONE; c++) if (n[c]) centres.push({ category: c, n: n[c], x: sx[c] / n[c], y: sy[c] / n[c] });
    centreCache[S.mapIndex] = centres;
  }
  return centreCache[S.mapIndex];
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function namesMoved() {
  // True once after the names change (named, cleared, restored, opened): every name goes where its points are now.
  // One pass over S.named a frame (70,000 bytes: a few hundredths of a millisecond) instead of a hook in guess.js.
  if (namesSeen && sameBytes(namesSeen, S.named)) return false;
  namesSeen = S.named.slice();
  centreCache.length = 0;
  return true;
}

function drawLabels(ctx) {
  const v = S.view, labels = [];
  ctx.font = "600 14px system-ui, -apple-system, 'Segoe UI', sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.lineJoin = "round";
  for (const c of nameCentres()) {
    const x = (c.x - v.cx) * v.scale + S.width / 2, y = S.height / 2 - (c.y - v.cy) * v.scale;
    const name = S.meta.categories[c.category];
    ctx.lineWidth = 4;
    ctx.strokeStyle = "rgba(10, 11, 14, 0.9)"; // a dark halo: the name stays legible over any colour
    ctx.strokeText(name, x, y);
    ctx.fillStyle = "#ffffff";
    ctx.fillText(name, x, y);
    labels.push({ category: c.category, name, n: c.n, x, y });
  }
  S.layers.labels = labels;
}

// ---------------------------------------------------------------- density outlines

function groupDensity(xy, groups, g, box, gx, gy) {
  // Points of group g counted into a (gx + 2) x (gy + 2) grid (a ring of empty cells, so every contour closes),
  // then smoothed by two 3 x 3 box blurs.
  let d = new Float32Array((gx + 2) * (gy + 2));
  const [x0, y0, cell] = box, w = gx + 2;
  for (let i = 0; i < S.n; i++) {
    if (groups[i] !== g) continue;
    const cx = Math.min(gx - 1, Math.floor((xy[2 * i] - x0) / cell));
    const cy = Math.min(gy - 1, Math.floor((xy[2 * i + 1] - y0) / cell));
    d[(cy + 1) * w + cx + 1]++;
  }
  for (let pass = 0; pass < 2; pass++) {
    const out = new Float32Array(d.length);
    for (let y = 1; y <= gy; y++) {
      for (let x = 1; x <= gx; x++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += d[(y + dy) * w + x + dx];
        out[y * w + x] = s / 9;
      }
    }
    d = out;
  }
  return d;
}

function massLevel(d, share) {
  // The density above which the densest cells hold `share` of the total: the outline of where the group lives.
  const values = Array.from(d).filter((v) => v > 0).sort((a, b) => b - a);
  const total = values.reduce((a, b) => a + b, 0);
  let sum = 0;
  for (const v of values) {
    sum += v;
    if (sum >= share * total) return v;
  }
  return values.length ? values[values.length - 1] : Infinity;
}

function marchingSquares(d, w, h, level) {
  // One contour line at `level`, as segments in grid coordinates (cell centres at integers).
  const out = [];
  const lerp = (a, b) => (level - a) / (b - a);
  for (let y = 0; y < h - 1; y++) {
    for (let x = 0; x < w - 1; x++) {
      const a = d[y * w + x], b = d[y * w + x + 1], c = d[(y + 1) * w + x + 1], e = d[(y + 1) * w + x];
      const code = (a >= level ? 8 : 0) | (b >= level ? 4 : 0) | (c >= level ? 2 : 0) | (e >= level ? 1 : 0);
      if (code === 0 || code === 15) continue;
      const top = [x + lerp(a, b), y], right = [x + 1, y + lerp(b, c)];
      const bottom = [x + lerp(e, c), y + 1], left = [x, y + lerp(a, e)];
      const centreIn = (a + b + c + e) / 4 >= level; // resolves the two saddle cases
      const pairs = {
        1: [[left, bottom]], 2: [[bottom, right]], 3: [[left, right]], 4: [[top, right]],
        5: centreIn ? [[left, top], [bottom, right]] : [[left, bottom], [top, right]],
        6: [[top, bottom]], 7: [[left, top]], 8: [[left, top]], 9: [[top, bottom]],
        10: centreIn ? [[top, right], [left, bottom]] : [[left, top], [bottom, right]],
        11: [[top, right]], 12: [[left, right]], 13: [[bottom, right]], 14: [[left, bottom]],
      }[code];
      for (const [p, q] of pairs) out.push(p[0], p[1], q[0], q[1]);
    }
  }
  return out;
}

function outlines() {
  // Per visible group of the current colouring: its outline on the current map, in data units (cached).
  const key = `${S.mapIndex}/${S.colourIndex}/${S.hidden[S.colourIndex].join("")}`;
  if (outlineCache?.key === key) return outlineCache.outlines;
  const xy = currentXY(), colouring = currentColouring(), groups = groupsOf(colouring);
  const [x0, x1, y0, y1] = S.bounds[S.mapIndex];
  const cell = Math.max(x1 - x0, y1 - y0) / OUTLINE_GRID;
  const gx = Math.max(1, Math.ceil((x1 - x0) / cell)), gy = Math.max(1, Math.ceil((y1 - y0) / cell));
  const list = [];
  colouring.names.forEach((name, g) => {
    if (S.hidden[S.colourIndex][g]) return;
    const d = groupDensity(xy, groups, g, [x0, y0, cell], gx, gy);
    const level = massLevel(d, OUTLINE_MASS);
    if (!(level < Infinity)) return;
    const seg = marchingSquares(d, gx + 2, gy + 2, level);
    for (let k = 0; k < seg.length; k += 2) { // grid (cell centre + 1 for the empty ring) -> data
      seg[k] = x0 + (seg[k] - 0.5) * cell;
      seg[k + 1] = y0 + (seg[k + 1] - 0.5) * cell;
    }
    if (seg.length) list.push({ group: g, colour: colouring.colours[g], segments: Float32Array.from(seg) });
  });
  outlineCache = { key, outlines: list };
  return list;
}

function drawOutlines(ctx) {
  const v = S.view, sx = (x) => (x - v.cx) * v.scale + S.width / 2, sy = (y) => S.height / 2 - (y - v.cy) * v.scale;
  const drawn = [];
  ctx.lineWidth = 1.5;
  for (const o of outlines()) {
    const s = o.segments;
    ctx.beginPath();
    for (let k = 0; k < s.length; k += 4) {
      ctx.moveTo(sx(s[k]), sy(s[k + 1]));
      ctx.lineTo(sx(s[k + 2]), sy(s[k + 3]));
    }
    ctx.strokeStyle = o.colour;
    ctx.stroke();
    drawn.push({ group: o.group, segments: s.length / 4 });
  }
  S.layers.outlines = drawn;
}

// ---------------------------------------------------------------- over the points

function drawLayers() {
  // After the points' pixels are on the canvas: the outlines, then the names on top.
  const ctx = S.ctx;
  ctx.setTransform(S.dpr, 0, 0, S.dpr, 0, 0);
  S.layers.outlines = [];
  if (S.outlinesOn && !S.anim) drawOutlines(ctx);
  if (S.anim) S.layers.labels = []; // the names wait for the points to land
  else drawLabels(ctx);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
}
