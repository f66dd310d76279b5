// neighbours.js: each point's nearest neighbours in the encoding itself, not on the map. Python packs them
// (meta.neighbours: k rows per point, nearest first, measured in the standardized embedding or its first 50
// principal components). t-SNE's distances between blobs mean little; these say whether two blobs are close where
// it counts. Clicking a point pins it (S.highlight): the panel shows its neighbours' images, each with its class,
// and how many share its mystery class (and, with the hints shown, its reference category). "Select neighbours"
// adds the pinned point and its neighbours, or, on a selection, every selected point's neighbours: pressing it
// again grows the region one step at a time.

const NEIGHBOUR_TILE = 28; // canvas pixels per image; CSS shows each at twice that, pixelated

const hasNeighbours = () => Boolean(S.meta.neighbours && S.meta.neighbours.k > 0);

function neighboursOf(i) {
  // Point i's neighbour rows, nearest first (a view into the packed array, no copy).
  const k = S.meta.neighbours.k;
  return S.arrays[S.meta.neighbours.array].subarray(i * k, i * k + k);
}

function sameShare(colouring, i, rows) {
  // How many of rows fall in point i's group of a colouring.
  const groups = groupsOf(colouring);
  let same = 0;
  for (const j of rows) if (groups[j] === groups[i]) same++;
  return same;
}

function neighbourShares(i) {
  // [{what, group, same, of}] for the mystery class, and the reference category when it is shown.
  const rows = neighboursOf(i), out = [];
  const shown = [colouringByRole("class"), colouringByRole("reference")].filter((c) => c && shownNow(c));
  for (const c of shown) {
    const what = c.role === "class" ? "mystery class" : "reference category";
    out.push({ key: c.role, what, group: c.names[groupsOf(c)[i]], same: sameShare(c, i, rows), of: rows.length });
  }
  return out;
}

function neighbourTile(row, colouring) {
  // One neighbour: its image and its class; a click pins it in turn.
  const figure = document.createElement("figure");
  figure.dataset.row = row;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = NEIGHBOUR_TILE;
  if (S.images) putImage(canvas.getContext("2d"), row, 0, 0);
  const caption = document.createElement("figcaption");
  const name = colouring.names[groupsOf(colouring)[row]];
  caption.textContent = name.replace(/^class /, ""); // the number alone fits under a small image
  caption.dataset.name = name;
  figure.append(canvas, caption);
  figure.title = `row ${row}, ${name}: click to pin it`;
  figure.addEventListener("click", () => pinPoint(row)); // walk from neighbour to neighbour
  return figure;
}

let shownNeighbours = null; // what the panel shows now: skip the work when a hover changes nothing here

function showNeighbours() {
  if (!hasNeighbours()) { $("neighbour-panel").hidden = true; return; }
  const i = S.highlight, key = `${i}/${S.hints}/${Boolean(S.images)}`;
  $("select-neighbours").disabled = i < 0 && S.selection.length === 0;
  if (key === shownNeighbours) return;
  shownNeighbours = key;
  const panel = $("neighbour-panel"), grid = $("neighbour-grid"), shares = $("neighbour-share");
  panel.dataset.row = i >= 0 ? String(i) : ""; // read by the browser tests
  if (i < 0) {
    grid.replaceChildren();
    shares.textContent = "Click a point to pin it and see its 10 nearest neighbours in the encoding.";
    return;
  }
  const classes = colouringByRole("class");
  grid.replaceChildren(...Array.from(neighboursOf(i), (row) => neighbourTile(row, classes)));
  const note = document.createElement("div");
  note.className = "muted";
  note.textContent = `Row ${i}'s nearest first, each with its mystery class; click one to pin it.`;
  shares.replaceChildren(
    note,
    ...neighbourShares(i).map((s) => {
      const line = document.createElement("div");
      line.dataset.share = s.key;
      line.dataset.same = s.same;
      line.textContent = `${s.same} of ${s.of} (${Math.round((100 * s.same) / s.of)} %) in the same ${s.what} (${s.group})`;
      return line;
    }),
  );
}

function pinPoint(row) {
  S.highlight = row;
  const [x, y] = toScreen(row);
  if (x < 0 || y < 0 || x > S.width || y > S.height) panBy(S.width / 2 - x, S.height / 2 - y); // bring it into view
  showPoint(row);
  if (S.selection.length) showGridPage();
  S.overlayDirty = true;
}

function selectNeighbours() {
  // Adds the neighbours of every selected point (one step of growth), or else the pinned point and its own.
  if (!hasNeighbours()) return;
  const from = S.selection.length ? Array.from(S.selection) : S.highlight >= 0 ? [S.highlight] : [];
  if (!from.length) return;
  const add = new Uint8Array(S.n);
  for (const i of from) {
    add[i] = 1;
    for (const j of neighboursOf(i)) add[j] = 1;
  }
  combineSelection(add, "add");
}

function wireNeighbours() {
  $("select-neighbours").addEventListener("click", selectNeighbours);
  showNeighbours();
}
