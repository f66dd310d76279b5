// work.js: the student's work kept: the names autosaved in the browser (localStorage, under the page's data hash,
// so a page of other data never picks them up), a guess.json opened back into the page, the selection as CSV.

const STORE_PREFIX = "fmtwist-explore-names-"; // + the data hash Python computed from the points and the map

function say(text, kind = "") {
  // One line under the guess's buttons: what the page just did with the student's work.
  const p = $("work-note");
  p.textContent = text;
  p.className = `small ${kind || "muted"}`;
}

function storage() {
  try {
    return window.localStorage; // a sandboxed frame or a locked-down browser may refuse it
  } catch {
    return null;
  }
}

const storeKey = () => STORE_PREFIX + S.meta.data_hash;

function keepNames() {
  const store = storage(), n = namedCount();
  if (!store) return;
  try {
    if (n === 0) store.removeItem(storeKey());
    else {
      // one character a point, "0".."9" its category or "." when not named: 70,000 points fit in 70 kB
      const names = Array.from(S.named, (c) => (c === NONE ? "." : String(c))).join("");
      const record = { data_hash: S.meta.data_hash, n: S.n, names, where: S.where, saved: new Date().toISOString() };
      store.setItem(storeKey(), JSON.stringify(record));
    }
  } catch (e) {
    say(`Your names could not be kept in this browser (${e.name}): save guess.json to keep them.`, "missing");
  }
}

function restoreNames() {
  // The names this page's data was given last time, if any: said on the note line, so a student knows.
  const store = storage();
  let record = null;
  try {
    record = JSON.parse(store?.getItem(storeKey()) || "null");
  } catch {
    record = null;
  }
  if (!record || record.data_hash !== S.meta.data_hash || record.n !== S.n || record.names?.length !== S.n) return;
  for (let i = 0; i < S.n; i++) {
    const c = record.names.charCodeAt(i) - 48;
    S.named[i] = c >= 0 && c < NONE ? c : NONE;
  }
  S.where = record.where && typeof record.where === "object" ? record.where : {};
  const n = namedCount(), when = new Date(record.saved);
  const on = isNaN(when) ? "" : ` on ${when.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" })}`;
  namesChanged(false);
  say(`Restored the names of ${n.toLocaleString("en")} points, kept in this browser${on}.`, "done");
}

function clearNames() {
  const n = namedCount();
  if (n === 0) { say("No names to clear."); return; }
  if (!confirm(`Clear the names of all ${n.toLocaleString("en")} points? This cannot be undone.`)) return;
  S.named.fill(NONE);
  S.where = {};
  namesChanged();
  say("Names cleared.");
}

// ---------------------------------------------------------------- a guess.json opened back

function rowOf(split, index) {
  if (!S.rowOf) {
    S.rowOf = new Map();
    for (let i = 0; i < S.n; i++) S.rowOf.set(`${S.meta.splits[S.arrays.split[i]]}/${S.arrays.index[i]}`, i);
  }
  return S.rowOf.get(`${split}/${index}`);
}

async function openGuessFile(event) {
  const file = event.target.files[0];
  event.target.value = ""; // so the same file can be opened again
  if (!file) return;
  let obj;
  try {
    obj = JSON.parse(await file.text());
  } catch {
    say(`${file.name} is not JSON: open the guess.json this page (or another) saved.`, "missing");
    return;
  }
  openGuess(obj, file.name);
}

function openGuess(obj, file) {
  if (!obj || typeof obj !== "object" || !obj.merge_map || typeof obj.merge_map !== "object") {
    say(`${file} is not a guess: it has no merge_map {category: mystery class}.`, "missing");
    return;
  }
  const evidence = obj.evidence && typeof obj.evidence === "object" ? obj.evidence : null;
  const opened = { file, guess: obj, sameData: obj.data_hash === S.meta.data_hash, found: {}, missing: {} };
  if (evidence) {
    // The file's names replace the page's: that is how a student goes on from a saved file.
    S.named.fill(NONE);
    S.where = {};
    for (const [name, entry] of Object.entries(evidence)) {
      const j = S.meta.categories.indexOf(name);
      if (j < 0 || !entry || typeof entry.rows !== "object") continue;
      opened.found[name] = opened.missing[name] = 0;
      for (const [split, rows] of Object.entries(entry.rows || {})) {
        for (const index of Array.isArray(rows) ? rows : []) {
          const i = rowOf(split, index);
          if (i === undefined) opened.missing[name]++;
          else { S.named[i] = j; opened.found[name]++; }
        }
      }
      S.where[j] = { map: String(entry.map ?? ""), colouring: String(entry.colouring ?? "") };
    }
  }
  opened.named = evidence ? S.named.slice() : new Uint8Array(S.n).fill(NONE); // what the check mode checks
  S.opened = opened;
  if (evidence) namesChanged();
  showOpened();
  say(openedNote(opened, evidence), opened.sameData && evidence ? "done" : "missing");
  if (checkable()) showCheck(); // check.js: the page has the answer key
}

function openedNote(opened, evidence) {
  const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
  const found = sum(opened.found), missing = sum(opened.missing);
  const parts = [`Opened ${opened.file}.`];
  if (!opened.sameData) {
    const made = opened.guess.data_hash ? `data hash ${opened.guess.data_hash}` : "no data hash: an older file";
    parts.push(`It was made for other data (${made}; this page's is ${S.meta.data_hash}): its merge map is shown below.`);
  }
  if (opened.guess.n_classes !== undefined && opened.guess.n_classes !== S.meta.n_classes) {
    parts.push(`It is a guess for ${opened.guess.n_classes} mystery classes; this page has ${S.meta.n_classes}.`);
  }
  if (!evidence) {
    parts.push("It holds a merge map only, no named rows (an older guess.json): the names on the map are unchanged.");
  } else {
    parts.push(`The names of ${found.toLocaleString("en")} points restored`
      + (missing ? `; ${missing.toLocaleString("en")} of its named rows are not on this page.` : "."));
  }
  return parts.join(" ");
}

function showOpened() {
  // The opened file as it reads, whatever its data: each category's class and how many rows it names.
  const o = S.opened, table = $("opened-table"), merge = o.guess.merge_map, evidence = o.guess.evidence || {};
  $("opened-guess").hidden = false;
  $("opened-title").textContent = `Opened: ${o.file}`;
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const [title, n] of [["category", 0], ["class", 1], ["rows named", 1], ["on this page", 1]]) {
    const th = head.appendChild(document.createElement("th"));
    th.textContent = title;
    if (n) th.className = "n";
  }
  const body = table.createTBody();
  for (const [name, c] of Object.entries(merge)) {
    const rows = Object.values(evidence[name]?.rows || {}).reduce((a, r) => a + (Array.isArray(r) ? r.length : 0), 0);
    const tr = body.insertRow();
    tr.dataset.category = name;
    for (const [text, n] of [[name, 0], [String(c), 1], [rows || "–", 1], [o.found[name] ?? "–", 1]]) {
      const td = tr.insertCell();
      td.textContent = typeof text === "number" ? text.toLocaleString("en") : text;
      if (n) td.className = "n";
    }
  }
}

// ---------------------------------------------------------------- the selection as CSV

function csvField(value) {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function selectionCsv() {
  // One line per selected point, in data.npz order (split, then row); hints only when they are shown.
  const rows = Array.from(S.selection).sort(
    (a, b) => S.arrays.split[a] - S.arrays.split[b] || S.arrays.index[a] - S.arrays.index[b],
  );
  const classes = groupsOf(colouringByRole("class")), pred = colouringByRole("pred");
  const clusterings = S.meta.colourings.filter((c) => c.role === "cluster");
  const reference = colouringByRole("reference");
  const header = ["row", "split", "mystery class", "prediction", "confidence", ...clusterings.map((c) => c.field)];
  const lines = [[...header, "reference category", "name given"]];
  for (const i of rows) {
    const confidence = pred.confidence ? (S.arrays[pred.confidence][i] / 100).toFixed(2) : "";
    lines.push([
      S.arrays.index[i], S.meta.splits[S.arrays.split[i]], classes[i], groupsOf(pred)[i], confidence,
      ...clusterings.map((c) => c.values[groupsOf(c)[i]]),
      reference && S.hints ? reference.names[groupsOf(reference)[i]] : "",
      S.named[i] === NONE ? "" : S.meta.categories[S.named[i]],
    ]);
  }
  return lines.map((line) => line.map(csvField).join(",")).join("\n") + "\n";
}

function exportSelection() {
  if (!S.selection.length) return;
  download(selectionCsv(), "text/csv", "selection.csv");
  say(`Exported the ${S.selection.length.toLocaleString("en")} selected points as selection.csv.`, "done");
}
