// check.js: the check mode, for a teacher, on a page made with --answer-key: the guess.json opened last against
// the truth: every point it names right or wrong (one more colouring), a table "named as" x true category, and the
// grade `fmtwist grade` gives the file.

const checkable = () => Array.isArray(S.meta.answer_classes) && !!colouringByRole("truth");
const CHECK_NAMES = ["named right", "named wrong", "not named"];

function gradeGuess(guess) {
  // The rule of fmtwist_cli/puzzle/guess.py grade(), after the checks of artifacts/guessfile.py from_json(): a
  // category is right when placed in its true class; one left out is wrong. {refused} when grade refuses the file.
  const k = S.meta.n_classes, merge = guess.merge_map, names = S.meta.categories;
  if (Number.isInteger(guess.n_classes) && guess.n_classes !== k) {
    return { refused: `it is a guess for ${guess.n_classes} mystery classes, but the answer key has ${k}` };
  }
  for (const [name, c] of Object.entries(merge)) {
    if (!names.includes(name)) return { refused: `unknown category ${JSON.stringify(name)}` };
    if (!Number.isInteger(c) || c < 0 || c >= k) {
      return { refused: `${name} is placed in class ${JSON.stringify(c)}: a class is a whole number, 0-${k - 1}` };
    }
  }
  const unplaced = Object.keys(guess.evidence || {}).find((name) => !(name in merge));
  if (unplaced) return { refused: `evidence for ${JSON.stringify(unplaced)}, a category the merge_map does not place` };
  const perCategory = names.map((name, j) => {
    const guessed = name in merge ? merge[name] : null, truth = S.meta.answer_classes[j];
    return { category: name, guess: guessed, truth, right: guessed === truth };
  });
  return { right: perCategory.filter((r) => r.right).length, total: names.length, perCategory };
}

function checkColouring() {
  // The "check" colouring, made the first time a guess is checked.
  let c = colouringByRole("check");
  if (!c) {
    const [right, wrong] = colouringByRole("correct").colours;
    c = { key: "check", title: "check: named right / wrong", field: "check", role: "check", array: "check",
      names: CHECK_NAMES, colours: [right, wrong, S.meta.unnamed_colour] };
    addColouring(c, new Uint8Array(S.n).fill(2));
  }
  return c;
}

function showCheck() {
  const o = S.opened, truth = groupsOf(colouringByRole("truth")), named = o.named;
  const c = checkColouring(), groups = groupsOf(c);
  let any = false;
  for (let i = 0; i < S.n; i++) {
    groups[i] = named[i] === NONE ? 2 : named[i] === truth[i] ? 0 : 1;
    if (named[i] !== NONE) any = true;
  }
  S.ordered = null;
  if (any) { // show the points right and wrong at once
    S.colourIndex = S.meta.colourings.indexOf(c);
    fillColourChoice();
    showLegend();
  }
  S.dirty = true;
  $("check-panel").hidden = false;
  $("check-file").textContent = o.file;
  showGrade(gradeGuess(o.guess));
  showMatrix(named, truth);
  if (S.selection.length) showSelection();
  $("check-panel").scrollIntoView({ block: "start" }); // the teacher's answer, at the foot of the panel
}

function showGrade(g) {
  const score = $("check-score"), wrong = $("check-wrong");
  wrong.replaceChildren();
  if (g.refused) {
    score.textContent = `fmtwist grade would refuse this file: ${g.refused}.`;
    delete score.dataset.right;
    return;
  }
  score.textContent = `fmtwist grade: ${g.right}/${g.total} categories placed right`;
  score.dataset.right = g.right;
  score.dataset.total = g.total;
  for (const row of g.perCategory.filter((r) => !r.right)) {
    const guessed = row.guess === null ? "not placed" : `guessed class ${row.guess}`;
    wrong.appendChild(document.createElement("li")).textContent =
      `${row.category}: ${guessed}, true class ${row.truth}`;
  }
}

function showMatrix(named, truth) {
  // counts[named as][true category], for the categories the guess names points as
  const names = S.meta.categories, counts = names.map(() => new Array(names.length).fill(0));
  for (let i = 0; i < S.n; i++) if (named[i] !== NONE) counts[named[i]][truth[i]]++;
  const table = $("check-matrix");
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  const th = (text, cls) => {
    const cell = head.appendChild(document.createElement("th"));
    cell.textContent = text;
    if (cls) cell.className = cls;
    return cell;
  };
  th("named as");
  for (const name of names) th(name, "true");
  th("named", "n");
  th("right", "n");
  const body = table.createTBody();
  names.forEach((name, j) => {
    const total = counts[j].reduce((a, b) => a + b, 0);
    if (!total) return;
    const tr = body.insertRow();
    tr.dataset.category = name;
    tr.dataset.named = total;
    tr.dataset.right = counts[j][j];
    tr.insertCell().textContent = name;
    counts[j].forEach((n, t) => {
      const td = tr.insertCell();
      td.textContent = n ? n.toLocaleString("en") : "·";
      td.className = `n ${n === 0 ? "zero" : t === j ? "right" : "wrong"}`;
      td.dataset.truth = names[t];
    });
    for (const n of [total, counts[j][j]]) {
      const td = tr.insertCell();
      td.textContent = n.toLocaleString("en");
      td.className = "n";
    }
  });
  if (!body.rows.length) body.insertRow().insertCell().textContent = "The guess names no point on this page.";
}
