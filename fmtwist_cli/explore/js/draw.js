// draw.js: the view (data <-> screen, zoom, pan), the points rasterized into one ImageData, the overlay's rings
// and lasso, and the one requestAnimationFrame loop that draws whatever S marks dirty.

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
  S.viewDirty = true; // this map pane only (twin.js)
}

function zoomAt(sx, sy, factor) {
  // Keep the data point under (sx, sy) where it is: zoom towards the pointer, not the centre.
  const [dx, dy] = toData(sx, sy);
  S.view.scale = Math.min(Math.max(S.view.scale * factor, S.fitScale * 0.2), S.fitScale * 400);
  S.view.cx = dx - (sx - S.width / 2) / S.view.scale;
  S.view.cy = dy + (sy - S.height / 2) / S.view.scale;
  S.viewDirty = true; // this map pane only (twin.js)
}

function panBy(dx, dy) {
  S.view.cx -= dx / S.view.scale;
  S.view.cy += dy / S.view.scale;
  S.viewDirty = true; // this map pane only (twin.js)
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
  S.viewDirty = true; // this map pane only (twin.js)
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
  // mid-transition (twin.js): the points where they are on their way to this map
  return S.anim ? { key, xy: S.anim.xy, groups: S.ordered.groups } : S.ordered;
}

function rasterize(pass) {
  // pass 0: every visible point (faded when a selection exists and the point is not in it); pass 1: the selection.
  const thumbs = thumbSize(); // layers.js: zoomed in far enough, each point is its image
  if (thumbs) { rasterThumbs(pass, thumbs); return; }
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
  S.layers.thumbs = 0;
  rasterize(0);
  if (S.selection.length) rasterize(1);
  S.ctx.putImageData(S.frame, 0, 0);
  drawLayers(); // layers.js: outlines and the names, over the points
  S.stats.drawMs.push(performance.now() - start);
}

function frame(time) {
  if (namesMoved()) S.dirty = true; // layers.js: the names move with their points
  for (const pane of panes()) inPane(pane, () => stepTransition(time)); // twin.js: a map switch under way
  const moved = panes().some((pane) => inPane(pane, () => S.viewDirty));
  if (S.dirty || S.overlayDirty || moved) {
    // Every map pane (twin.js) shows the same colouring, selection and hover ring; a pane whose own view alone
    // moved is the only one drawn again (panning one of two maps costs one map's drawing).
    for (const pane of panes()) {
      inPane(pane, () => {
        if (S.dirty || S.viewDirty) draw();
        drawOverlay(); // rings follow the view
        S.viewDirty = false;
      });
    }
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
