// guess.js: the names the user gives to selections, their tally against the mystery classes, and guess.json.

// ---------------------------------------------------------------- the guess: names given to selections

function nameSelection() {
  const category = Number($("name-choice").value);
  if (!S.selection.length) return;
  for (const i of S.selection) S.named[i] = category; // a point named twice keeps its latest name
  S.where[category] = { map: currentMap().label, colouring: currentColouring().title };
  namesChanged();
}

function addColouring(entry, array) {
  // One more colouring made on the page (the user's names, the check): the map, legend and counts show it too.
  S.arrays[entry.array] = array;
  S.meta.colourings.push(entry);
  if (S.rgb.length) { // after start() has made every colouring's hidden flags and colours
    S.hidden.push(new Uint8Array(entry.names.length));
    S.rgb.push(Uint8Array.from(entry.colours.flatMap(hexToRgb)));
    fillColourChoice();
  }
}

function addNamesColouring() {
  addColouring({
    key: "named", title: "your names", field: "you named it", role: "named", array: "named",
    names: [...S.meta.categories, "not named"], colours: [...S.meta.category_colours, S.meta.unnamed_colour],
  }, S.named);
}

function namesChanged(keep = true) {
  S.ordered = null; // the draw-order copy of the groups is stale when "your names" is shown
  if (currentColouring().role === "named") { S.dirty = true; showLegend(); }
  if (S.selection.length) showSelection();
  showPoint(S.hover >= 0 ? S.hover : S.highlight);
  showTally();
  if (keep) keepNames(); // work.js: autosave
}

function namedCount() {
  let n = 0;
  for (let i = 0; i < S.n; i++) if (S.named[i] !== NONE) n++;
  return n;
}

function classCounts() {
  // counts[category][mystery class] of the named points
  const k = S.meta.n_classes, classes = S.arrays[colouringByRole("class").array];
  const counts = S.meta.categories.map(() => new Array(k).fill(0));
  for (let i = 0; i < S.n; i++) if (S.named[i] !== NONE) counts[S.named[i]][classes[i]]++;
  return counts;
}

function tally() {
  // For each category: the mystery class most of the images named so belong to, with its share.
  return classCounts().map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    const best = row.indexOf(Math.max(...row));
    return total ? { total, best, share: row[best] / total } : { total: 0, best: -1, share: 0 };
  });
}

function showTally() {
  const rows = tally(), auto = S.hints ? S.meta.auto_guess : null; // "reference says" is a hint: hidden unless asked
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
    tr.cells[1].textContent = t.total ? t.total.toLocaleString("en") : "–";
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

function namedRows(category) {
  // {split: [data.npz rows, ascending]} of the points named `category`, only the splits that occur
  const out = {};
  for (let i = 0; i < S.n; i++) {
    if (S.named[i] !== category) continue;
    const split = S.meta.splits[S.arrays.split[i]];
    (out[split] ||= []).push(S.arrays.index[i]);
  }
  for (const split of Object.keys(out)) out[split] = [...new Set(out[split])].sort((a, b) => a - b);
  return out;
}

function guessObject() {
  // The format `fmtwist grade` reads (kind, n_classes, merge_map), with how each category was named (evidence);
  // categories the user never named are left out of both.
  const merge = {}, evidence = {}, counts = classCounts();
  tally().forEach((t, j) => {
    if (!t.total) return;
    const name = S.meta.categories[j], where = S.where[j] || {};
    merge[name] = t.best;
    evidence[name] = {
      rows: namedRows(j),
      map: where.map ?? currentMap().label,
      colouring: where.colouring ?? currentColouring().title,
      class_shares: counts[j].map((c) => Math.round((10000 * c) / t.total) / 10000),
    };
  });
  return {
    kind: S.meta.guess_kind, n_classes: S.meta.n_classes, merge_map: merge, data_hash: S.meta.data_hash, evidence,
  };
}

function download(text, type, filename) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function saveGuess() {
  const guess = guessObject();
  download(JSON.stringify(guess, null, 2) + "\n", "application/json", S.meta.guess_file);
  const n = Object.keys(guess.merge_map).length;
  say(`Saved ${S.meta.guess_file}: ${n} categor${n === 1 ? "y" : "ies"}, with the rows you named.`, "done");
}
