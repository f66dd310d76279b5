// panels.js: what the side panels show: the hover card, the selection's counts and image grid, the legend.

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
  for (const c of S.meta.colourings.filter(shownNow)) rows.push([c.field, groupName(c, i)]);
  return rows;
}

function showPoint(i) {
  showNeighbours(); // the pinned point's neighbours (neighbours.js), if it changed
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

// ---------------------------------------------------------------- the selection panel: counts and images

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
  $("selection-size").textContent = any ? rows.length.toLocaleString("en") : "none"; // "Selection 1,000"
  $("selection-size").dataset.count = rows.length;
  $("selection-body").hidden = !any;
  $("selection-hint").hidden = any;
  showNeighbours(); // "Select neighbours" works on a selection too
  if (!any) return;
  const tables = S.meta.colourings.filter((c) => c.role !== "correct" && shownNow(c)).map((c) => countsTable(c, rows));
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

// ---------------------------------------------------------------- the legend

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
    // Hide a group to see what lies under it; ctrl/cmd-click selects it instead (with shift or alt as the lasso's).
    li.addEventListener("click", (e) => (e.ctrlKey || e.metaKey ? selectGroup(g, e) : toggleGroup(g)));
    return li;
  });
  $("legend").replaceChildren(...items);
}

function selectGroup(g, event) {
  const groups = groupsOf(currentColouring()), inside = new Uint8Array(S.n);
  for (let i = 0; i < S.n; i++) inside[i] = groups[i] === g ? 1 : 0;
  combineSelection(inside, selectMode(event));
}

function toggleGroup(g) {
  const hidden = S.hidden[S.colourIndex];
  hidden[g] = hidden[g] ? 0 : 1;
  S.dirty = true;
  showLegend();
}
