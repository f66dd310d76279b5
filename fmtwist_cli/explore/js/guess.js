// guess.js: the names the user gives to selections, their tally against the mystery classes, and guess.json.

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
  return { kind: S.meta.guess_kind, n_classes: S.meta.n_classes, merge_map: merge };
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
