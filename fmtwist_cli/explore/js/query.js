// query.js: the "Query" box selects points by their fields, e.g. `class = 0 and confidence < 0.6` or
// `ref = Shirt and cluster(kmeans) = 2`. A tokenizer and a recursive-descent parser (no eval) turn the text into a
// tree; each comparison becomes a mask over every point (one pass over a typed array) and and / or / not combine
// the masks, so 70,000 points take a few milliseconds. Enter replaces the selection (shift adds, alt takes away,
// shift+alt keeps the overlap, as with the lasso). A bad query says what is wrong under the box; it never throws.
//
//   expr  := conj ("or" conj)*          conj := unary ("and" unary)*
//   unary := "not" unary | "(" expr ")" | test
//   test  := field [op value]           op   := = | != | < | <= | > | >=
//   field := word | "cluster" "(" name ")"   value := number | word | "quoted text"
// A field alone is a test of its own where it reads as one: right, wrong, named, unnamed.

class QueryError extends Error {}

const QUERY_OPS = ["<=", ">=", "!=", "=", "<", ">"];
const QUERY_EXAMPLE = "class = 0 and confidence < 0.6";

function queryTokens(text) {
  // [{kind: "num" | "word" | "text" | "op" | "(" | ")" | ",", value, at}]
  const out = [];
  let at = 0;
  while (at < text.length) {
    const rest = text.slice(at), space = rest.match(/^\s+/);
    if (space) { at += space[0].length; continue; }
    const num = rest.match(/^-?(\d+\.?\d*|\.\d+)(e-?\d+)?/i);
    const word = rest.match(/^[A-Za-z_][\w\-/.]*/);
    const op = QUERY_OPS.find((o) => rest.startsWith(o)) || (rest.startsWith("==") ? "==" : null);
    if (rest[0] === '"' || rest[0] === "'") {
      const end = rest.indexOf(rest[0], 1);
      if (end < 0) throw new QueryError(`unclosed quote at character ${at + 1}`);
      out.push({ kind: "text", value: rest.slice(1, end), at });
      at += end + 1;
    } else if (num && !(out.length && ["num", "word", "text", ")"].includes(out.at(-1).kind) && rest[0] === "-")) {
      out.push({ kind: "num", value: Number(num[0]), at });
      at += num[0].length;
    } else if (word) {
      out.push({ kind: "word", value: word[0], at });
      at += word[0].length;
    } else if (op) {
      out.push({ kind: "op", value: op === "==" ? "=" : op, at });
      at += op.length;
    } else if ("()".includes(rest[0])) {
      out.push({ kind: rest[0], value: rest[0], at });
      at += 1;
    } else {
      throw new QueryError(`unexpected "${rest[0]}" at character ${at + 1}`);
    }
  }
  return out;
}

function parseQuery(text) {
  const tokens = queryTokens(text);
  let k = 0;
  const peek = () => tokens[k];
  const isWord = (t, w) => t && t.kind === "word" && t.value.toLowerCase() === w;
  const where = (t) => (t ? `"${t.value}" at character ${t.at + 1}` : "the end");
  function expr() {
    let node = conj();
    while (isWord(peek(), "or")) { k++; node = { or: [node, conj()] }; }
    return node;
  }
  function conj() {
    let node = unary();
    while (isWord(peek(), "and")) { k++; node = { and: [node, unary()] }; }
    return node;
  }
  function unary() {
    const t = peek();
    if (isWord(t, "not")) { k++; return { not: unary() }; }
    if (t && t.kind === "(") {
      k++;
      const node = expr();
      if (!peek() || peek().kind !== ")") throw new QueryError(`expected ")" but found ${where(peek())}`);
      k++;
      return node;
    }
    return test();
  }
  function test() {
    const t = peek();
    if (!t || t.kind !== "word") throw new QueryError(`expected a field (such as class) but found ${where(t)}`);
    k++;
    const field = { name: t.value.toLowerCase(), arg: null, at: t.at };
    if (peek() && peek().kind === "(") {
      k++;
      const arg = peek();
      if (!arg || !["word", "text", "num"].includes(arg.kind)) throw new QueryError(`expected a name after "${t.value}("`);
      k++;
      field.arg = String(arg.value);
      if (!peek() || peek().kind !== ")") throw new QueryError(`expected ")" after "${t.value}(${field.arg}"`);
      k++;
    }
    if (!peek() || peek().kind !== "op") return { field };
    const op = tokens[k++].value, value = peek();
    if (!value || !["num", "word", "text"].includes(value.kind)) {
      throw new QueryError(`expected a value after "${op}" but found ${where(value)}`);
    }
    k++;
    return { field, op, value };
  }
  if (!tokens.length) throw new QueryError(`type a query, for example: ${QUERY_EXAMPLE}`);
  const tree = expr();
  if (k < tokens.length) throw new QueryError(`expected "and", "or" or the end but found ${where(tokens[k])}`);
  return tree;
}

// ---------------------------------------------------------------- the fields

function categoryField(label, names, groups) {
  return { kind: "category", label, names, groups };
}

function clusteringField(arg) {
  const all = S.meta.colourings.filter((c) => c.role === "cluster"), list = all.map((c) => c.key.slice(9)).join(", ");
  if (!all.length) throw new QueryError("this page has no clustering");
  if (arg === null && all.length > 1) throw new QueryError(`say which clustering: cluster(NAME), one of ${list}`);
  const c = arg === null ? all[0] : all.find((x) => x.key === `clusters-${arg}`);
  if (!c) throw new QueryError(`no clustering "${arg}": the page has ${list}`);
  const groups = groupsOf(c), values = new Int32Array(S.n);
  for (let i = 0; i < S.n; i++) values[i] = c.values[groups[i]];
  return { kind: "number", label: `cluster(${c.key.slice(9)})`, values, words: { noise: -1 } };
}

function hintField(role, label) {
  const c = colouringByRole(role);
  if (!c) throw new QueryError(`this page has no ${label === "ref" ? "reference classifier" : "answer key"}`);
  if (!shownNow(c)) throw new QueryError(`${label} is a hint: tick "Show hints" first`);
  return categoryField(label, c.names, groupsOf(c));
}

function queryField(field) {
  // {kind: "number", values} or {kind: "category", names, groups}; a test of its own: {test: () => mask}.
  const name = field.name, roles = (role) => groupsOf(colouringByRole(role));
  if (name === "cluster") return clusteringField(field.arg);
  if (field.arg !== null) throw new QueryError(`"${name}(…)" is not a field: only cluster(NAME) takes a name`);
  if (name === "class" || name === "mystery") return { kind: "number", label: "class", values: roles("class") };
  if (name === "pred" || name === "predicted") return { kind: "number", label: "pred", values: roles("pred") };
  if (name === "confidence" || name === "conf") return { kind: "number", label: "confidence", values: S.arrays.confidence };
  if (name === "correct" || name === "prediction") return categoryField("prediction", ["right", "wrong"], roles("correct"));
  if (name === "right" || name === "wrong") return { test: () => compare(roles("correct"), "=", name === "right" ? 0 : 1) };
  if (name === "ref" || name === "reference") return hintField("reference", "ref");
  if (name === "true" || name === "truth") return hintField("truth", "true");
  if (name === "name") return categoryField("name", [...S.meta.categories, "none"], S.named);
  if (name === "named" || name === "unnamed") return { test: () => compare(S.named, name === "named" ? "!=" : "=", NONE) };
  if (name === "split") return categoryField("split", S.meta.splits, S.arrays.split);
  throw new QueryError(
    `unknown field "${name}": use class, pred, confidence, right, wrong, cluster(NAME), ref, name, named, unnamed or split`,
  );
}

function compare(values, op, v) {
  const n = S.n, out = new Uint8Array(n);
  if (op === "=") for (let i = 0; i < n; i++) out[i] = values[i] === v ? 1 : 0;
  else if (op === "!=") for (let i = 0; i < n; i++) out[i] = values[i] !== v ? 1 : 0;
  else if (op === "<") for (let i = 0; i < n; i++) out[i] = values[i] < v ? 1 : 0;
  else if (op === "<=") for (let i = 0; i < n; i++) out[i] = values[i] <= v ? 1 : 0;
  else if (op === ">") for (let i = 0; i < n; i++) out[i] = values[i] > v ? 1 : 0;
  else for (let i = 0; i < n; i++) out[i] = values[i] >= v ? 1 : 0;
  return out;
}

function testMask(node) {
  const f = queryField(node.field);
  if (f.test !== undefined) {
    if (node.op) throw new QueryError(`"${node.field.name}" is a test of its own: write it without "${node.op}"`);
    return f.test();
  }
  if (!node.op) throw new QueryError(`"${f.label}" needs a comparison, for example ${f.label} = …`);
  const raw = node.value.value;
  if (f.kind === "number") {
    const word = typeof raw === "string" && f.words ? f.words[raw.toLowerCase()] : undefined;
    const v = typeof raw === "number" ? raw : word;
    if (v === undefined) throw new QueryError(`${f.label} is a number: "${raw}" is not`);
    return compare(f.values, node.op, v);
  }
  if (node.op !== "=" && node.op !== "!=") throw new QueryError(`${f.label} can only be compared with = or !=`);
  const g = f.names.findIndex((name) => name.toLowerCase() === String(raw).toLowerCase());
  if (g < 0) throw new QueryError(`${f.label} has no "${raw}": one of ${f.names.join(", ")}`);
  return compare(f.groups, node.op, g);
}

function evaluateQuery(node) {
  if (node.not) {
    const m = evaluateQuery(node.not);
    for (let i = 0; i < S.n; i++) m[i] ^= 1;
    return m;
  }
  if (node.and || node.or) {
    const [a, b] = (node.and || node.or).map(evaluateQuery);
    if (node.and) for (let i = 0; i < S.n; i++) a[i] &= b[i];
    else for (let i = 0; i < S.n; i++) a[i] |= b[i];
    return a;
  }
  return testMask(node);
}

function queryMask(text) {
  // The points the query selects (Uint8Array(n)); throws QueryError with the message to show.
  return evaluateQuery(parseQuery(text));
}

function runQuery(event) {
  const start = performance.now(), message = $("query-message");
  let mask;
  try {
    mask = queryMask($("query").value);
  } catch (err) {
    // a QueryError says what is wrong; anything else is our bug, still shown here rather than thrown
    message.textContent = err instanceof QueryError ? err.message : `could not run the query: ${err.message}`;
    message.className = "small bad";
    return;
  }
  const evaluated = performance.now();
  combineSelection(mask, selectMode(event));
  const found = mask.reduce((a, b) => a + b, 0);
  message.textContent = `${found.toLocaleString("en")} ${found === 1 ? "point matches" : "points match"}`;
  message.className = "small muted";
  S.stats.queryMs.push({ evaluate: evaluated - start, total: performance.now() - start });
}

function wireQuery() {
  $("query").addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); runQuery(e); }
    e.stopPropagation(); // Esc in the box does not clear the selection
  });
}
