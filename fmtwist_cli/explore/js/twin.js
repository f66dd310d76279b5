// twin.js: two linked maps side by side ("Side by side"), and the points moving from one map to the next when the
// map is switched.
//
// A map pane is its canvases and its own view of its own map: the fields in PANE_FIELDS. S holds the main pane's;
// the second pane keeps its own in S.twin, and inPane(S.twin, fn) swaps them into S while fn runs, so every
// function that draws or picks on "the map" (draw.js, pick.js) works on either pane unchanged. Everything else (the
// colouring, the hidden groups, the selection, the hover and the names) is S's alone, so both maps always show the
// same: a group that holds together on both is real, not an accident of one projection.

const PANE_FIELDS = [
  "canvas", "ctx", "overlay", "octx", "width", "height", "frame", "pixels",
  "view", "fitScale", "mapIndex", "ordered", "anim", "layers", "viewDirty",
];
const TRANSITION_MS = 400; // a map switch: long enough to follow a group, short enough not to wait for

const emptyLayers = () => ({ labels: [], thumbs: 0, cellPx: 0, outlines: [], transitions: [] });

function makePane(canvas, overlay, mapIndex) {
  return {
    canvas, ctx: canvas.getContext("2d"), overlay, octx: overlay.getContext("2d"), width: 0, height: 0,
    frame: null, pixels: null, view: { cx: 0, cy: 0, scale: 1 }, fitScale: 1, mapIndex, ordered: null,
    anim: null, layers: emptyLayers(), viewDirty: true,
  };
}

function inPane(pane, fn) {
  // Run fn with `pane` standing in for the main map (null: the main map itself), then put S back.
  if (!pane) return fn();
  const saved = {};
  for (const f of PANE_FIELDS) { saved[f] = S[f]; S[f] = pane[f]; }
  try {
    return fn();
  } finally {
    for (const f of PANE_FIELDS) { pane[f] = S[f]; S[f] = saved[f]; }
  }
}

const panes = () => (S.twinOn ? [null, S.twin] : [null]);

// ---------------------------------------------------------------- side by side

function setTwin(on) {
  S.twinOn = on;
  $("twin-toggle").checked = on;
  $("twin-wrap").hidden = !on;
  if (on && !S.twin) {
    const other = S.meta.maps.findIndex((m, k) => k !== S.mapIndex);
    S.twin = makePane($("twin-map"), $("twin-overlay"), Math.max(0, other));
  }
  if (on) $("twin-choice").value = String(S.twin.mapIndex);
  // Both maps change size: each fits its points again.
  for (const pane of panes()) inPane(pane, () => { resizeCanvas(); resetView(); });
  S.dirty = S.overlayDirty = true;
}

function wireTwin() {
  $("twin-label").hidden = S.meta.maps.length < 2; // one map: nothing to compare it with
  fillSelect($("twin-choice"), S.meta.maps.map((m) => m.label));
  $("twin-toggle").addEventListener("change", (e) => setTwin(e.target.checked));
  $("twin-choice").addEventListener("change", (e) => inPane(S.twin, () => switchMap(Number(e.target.value))));
  const canvas = $("twin-map"), inTwin = (fn) => (e) => inPane(S.twin, () => fn(e));
  // The main map's own handlers, run on the second pane's view: pan, zoom, hover, lasso and box work there too.
  canvas.addEventListener("pointerdown", inTwin(onPointerDown));
  canvas.addEventListener("pointermove", inTwin(onPointerMove));
  canvas.addEventListener("pointerup", inTwin(onPointerUp));
  canvas.addEventListener("pointercancel", inTwin(onPointerUp));
  canvas.addEventListener("pointerleave", () => { if (!S.drag) setHover(-1); });
  canvas.addEventListener("wheel", inTwin(onWheel), { passive: false });
  new ResizeObserver(() => { if (S.twinOn) inPane(S.twin, resizeCanvas); }).observe($("twin-wrap"));
}

// ---------------------------------------------------------------- the points moving to another map

const reducedMotion = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;

function switchMap(mapIndex) {
  // Show another map in the current pane; the points glide from where they are drawn now to their new places.
  if (mapIndex === S.mapIndex) return;
  const from = S.anim && S.anim.frames === 0 ? S.anim.from : drawnScreen(); // switched twice within a frame
  S.mapIndex = mapIndex;
  S.anim = null;
  resetView();
  if (S.selection.length) orderSelection(); // "typical" depends on the map
  if (reducedMotion() || !from) return;
  S.anim = { start: null, from, xy: new Float32Array(2 * S.n), frames: 0 };
}

function drawnScreen() {
  // Where each point is drawn now, in draw order, in CSS pixels (mid-transition too).
  if (!S.frame) return null;
  const { xy } = drawOrder(), v = S.view, out = new Float32Array(2 * S.n);
  for (let o = 0; o < S.n; o++) {
    out[2 * o] = (xy[2 * o] - v.cx) * v.scale + S.width / 2;
    out[2 * o + 1] = S.height / 2 - (xy[2 * o + 1] - v.cy) * v.scale;
  }
  return out;
}

function stepTransition(time) {
  // One frame of the current pane's transition: each point on the straight line from where it was drawn to its
  // place on the new map (eased), in screen space, so a pan or zoom meanwhile still moves the end points.
  const a = S.anim;
  if (!a) return;
  if (a.start === null) a.start = time;
  const t = Math.min(1, (time - a.start) / TRANSITION_MS), e = t < 0.5 ? 4 * t * t * t : 1 - (-2 * t + 2) ** 3 / 2;
  S.anim = null; // the new map's own coordinates, in draw order
  const target = drawOrder().xy;
  S.anim = a;
  const v = S.view;
  for (let o = 0; o < S.n; o++) {
    const fx = (a.from[2 * o] - S.width / 2) / v.scale + v.cx, fy = v.cy - (a.from[2 * o + 1] - S.height / 2) / v.scale;
    a.xy[2 * o] = fx + (target[2 * o] - fx) * e;
    a.xy[2 * o + 1] = fy + (target[2 * o + 1] - fy) * e;
  }
  a.frames++;
  if (t >= 1) {
    S.anim = null;
    S.layers.transitions.push({ frames: a.frames, ms: time - a.start });
  }
  S.viewDirty = true;
}
