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
//
// The script is split by job into fmtwist_cli/explore/js/, joined in page.py's SCRIPT order into the page's one
// <script>, so every top-level name is shared by all the files and must be unique:
//   state.js   the constants, S, unpacking what Python wrote, small accessors (this file)
//   draw.js    the view, the raster of points, the overlay, the draw loop
//   layers.js  over the points: names at their centres, density outlines, points as images when zoomed in
//   twin.js    two linked maps side by side; points moving to the new map on a switch
//   pick.js    the nearest point under the pointer, lasso and box selection
//   panels.js  the hover card, the selection panel, the legend
//   neighbours.js  the pinned point's nearest neighbours in the encoding, "Select neighbours"
//   query.js   the "Query" box: a small parser, each test a mask over every point
//   guess.js   names given to selections, the tally, guess.json
//   work.js    the work kept: names autosaved in localStorage, a guess.json opened back, the CSV export
//   check.js   the check mode (a page made with the answer key): an opened guess against the truth
//   main.js    controls, pointer handlers, start (last: it runs start())
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
  where: {}, // category index -> {map, colouring}: what was on screen when it was last named (guess.json's evidence)
  hints: false, // the reference classifier's hints shown ("Show hints")
  opened: null, // the guess.json opened last: {file, guess, sameData, found, missing, named: Uint8Array(n)}
  rowOf: null, // "split/index" -> page row, built when a guess is first opened
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
  anim: null, // a map switch under way (twin.js): {start, from, xy, frames}
  layers: { labels: [], thumbs: 0, cellPx: 0, outlines: [], transitions: [] }, // what layers.js drew last
  outlinesOn: false, // the density outlines of the visible groups ("Outlines")
  twin: null, // the second map pane (twin.js), made when "Side by side" is first ticked
  twinOn: false,
  viewDirty: true, // the main map's view moved (pan, zoom, resize): that pane alone needs drawing (S.dirty: all)
  hoverEventTime: null, // when the pointer event that changed the hover happened, until its frame is drawn
  // Read by the benchmark and the tests: when the first frame and the images were ready (ms since the page was
  // opened), each frame's rAF time and drawing time, and each hover's time from pointer event to drawn frame.
  stats: { firstFrame: null, imagesReady: null, frames: [], drawMs: [], hoverMs: [], queryMs: [] },
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
// The reference classifier's category is a hint (it gives the puzzle away): shown only with "Show hints".
const isHint = (colouring) => colouring.role === "reference";
const shownNow = (colouring) => S.hints || !isHint(colouring);

function isVisible(i) {
  return !S.hidden[S.colourIndex][groupsOf(currentColouring())[i]];
}
