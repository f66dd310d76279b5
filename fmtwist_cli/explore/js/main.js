// main.js: the controls and pointer handlers wired to S, and start(), which reads the page's data blocks.

// ---------------------------------------------------------------- controls

function setTool(tool) {
  S.tool = tool;
  for (const name of ["pan", "lasso", "box"]) $(`tool-${name}`).classList.toggle("active", name === tool);
  S.canvas.classList.toggle("selecting", tool !== "pan");
}

function fillSelect(select, labels) {
  select.replaceChildren(...labels.map((label, k) => new Option(label, String(k))));
}

function fillColourChoice() {
  // Every colouring but the hints, unless they are shown; an option's value is the colouring's index.
  const select = $("colour-choice"), shown = S.meta.colourings.map((c, k) => [c, k]).filter(([c]) => shownNow(c));
  select.replaceChildren(...shown.map(([c, k]) => new Option(c.title, String(k))));
  select.value = String(S.colourIndex);
}

function setHints(on) {
  S.hints = on;
  $("hints-toggle").checked = on;
  if (!shownNow(currentColouring())) { S.colourIndex = 0; S.dirty = true; showLegend(); } // no hint left on the map
  fillColourChoice();
  showTally();
  if (S.selection.length) showSelection();
  showPoint(S.hover >= 0 ? S.hover : S.highlight);
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
  S.drag = { kind, points: [localPoint(event)], mode: selectMode(event), moved: 0 };
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
    selectShape("lasso", drag.points, dragMode(drag, event));
  } else if (drag.kind === "box" && drag.moved >= CLICK_SLOP) {
    selectShape("box", drag.points, dragMode(drag, event));
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
  $("map-choice").addEventListener("change", (e) => switchMap(Number(e.target.value))); // twin.js: points glide
  $("outlines-toggle").addEventListener("change", (e) => { S.outlinesOn = e.target.checked; S.dirty = true; });
  wireTwin(); // twin.js: the second map pane's controls and pointer handlers
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
  $("export-csv").addEventListener("click", exportSelection);
  $("save-guess").addEventListener("click", saveGuess);
  $("open-guess").addEventListener("click", () => $("guess-input").click()); // the file input itself stays hidden
  $("guess-input").addEventListener("change", openGuessFile);
  $("clear-names").addEventListener("click", clearNames);
  $("hints-toggle").addEventListener("change", (e) => setHints(e.target.checked));
  wireNeighbours(); // neighbours.js
  wireQuery(); // query.js
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
  S.hints = Boolean(S.meta.hints);
  $("hints-toggle").checked = S.hints;
  $("hints-label").hidden = !S.meta.colourings.some(isHint); // no reference classifier: no hints to show
  fillColourChoice();
  fillSelect($("name-choice"), S.meta.categories);
  $("status").textContent = S.meta.status;
  wire();
  resizeCanvas();
  showLegend();
  showTally();
  restoreNames(); // the names this data was given last time in this browser, if any
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
window.fmtwistExplore = {
  state: S, toScreen, toData, ready: start(),
  twinToScreen: (i) => inPane(S.twin, () => toScreen(i)), // where a point is on the second map (twin.js)
  inPane, // run a function on the second map pane: fmtwistExplore.inPane(fmtwistExplore.state.twin, fn)
};
