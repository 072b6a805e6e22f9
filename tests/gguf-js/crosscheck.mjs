// Cross-checks WeightScope's GGUF reader against @huggingface/gguf 0.4.6 (an
// independent JavaScript parser): for each FILE, `weightscope info --json FILE`
// must report the same tensor names (in order), shapes (numpy order = ne
// reversed), types, absolute data offsets, and the same metadata keys (in order)
// with the same types and values (arrays: element type, length, first 5 values).
// Usage: node crosscheck.mjs WEIGHTSCOPE_BINARY FILE.gguf...   (after npm ci here)
// Exit 0 when every file agrees, 1 with one line per disagreement.
import { execFileSync } from "node:child_process";

let dump;
try {
  ({ dump } = await import("./dump.mjs"));
} catch (e) {
  console.error(`cannot load @huggingface/gguf (${e.message}): run npm ci --prefix tests/gguf-js ` +
    "(scripts/test does)");
  process.exit(1);
}

const PLAIN = { float32: "F32", float16: "F16", bfloat16: "BF16", float64: "F64", int8: "I8",
  int16: "I16", int32: "I32", int64: "I64" };

// Our JSON prints 64-bit integers exactly; keep the long ones as strings when parsing.
function parseExact(text) {
  return JSON.parse(text.replace(/([:\[,]\s*)(-?\d{16,})(?=\s*[,\]\}])/g, '$1"$2"'));
}

function sameValue(ours, theirs) {
  if (typeof theirs === "string" && typeof ours !== "string") return String(ours) === theirs;
  if (typeof ours === "string" && typeof theirs === "number") return ours === String(theirs);
  return JSON.stringify(ours) === JSON.stringify(theirs);
}

const [binary, ...files] = process.argv.slice(2);
if (!binary || files.length === 0) {
  console.error("usage: node crosscheck.mjs WEIGHTSCOPE_BINARY FILE.gguf...");
  process.exit(2);
}
let failures = 0;
for (const file of files) {
  const problems = [];
  const check = (what, a, b) => {
    if (!sameValue(a, b)) problems.push(`${what}: weightscope ${JSON.stringify(a)}, @huggingface/gguf ${JSON.stringify(b)}`);
  };
  const ours = parseExact(execFileSync(binary, ["info", "--json", file], { encoding: "utf8" }));
  const js = await dump(file);
  const base = BigInt(js.tensorDataOffset);
  check("tensor names", ours.tensors.map((t) => t.name), js.tensors.map((t) => t.name));
  js.tensors.forEach((jt, i) => {
    const t = ours.tensors[i];
    if (!t) return;
    check(`${jt.name} shape`, t.shape.map(String), [...jt.shape].reverse());
    const type = PLAIN[t.dtype] ?? (t.dtype.startsWith("ggml type ") ? null : t.dtype.toUpperCase());
    check(`${jt.name} type`, type, jt.dtype.name);
    if (jt.dtype.name === null) check(`${jt.name} type id`, t.dtype, `ggml type ${jt.dtype.id}`);
    check(`${jt.name} offset`, String(t.file_offset), String(base + BigInt(jt.offset)));
  });
  const meta = ours.metadata ?? {};
  check("metadata keys", Object.keys(meta), Object.keys(js.kv));
  for (const [key, kv] of Object.entries(js.kv)) {
    const v = meta[key];
    if (v === undefined) continue;
    if (kv.type === "ARRAY") {
      check(`${key} element type`, v.type, kv.subType);
      check(`${key} length`, v.length, kv.length);
      check(`${key} first`, v.first.map((x, k) => (typeof kv.first[k] === "string" ? String(x) : x)), kv.first);
    } else {
      check(`${key} value`, v, kv.value);
    }
  }
  if (problems.length) {
    failures += 1;
    console.log(`${file}: ${problems.length} disagreements`);
    for (const p of problems) console.log(`  ${p}`);
  } else {
    console.log(`${file}: agrees (${js.tensors.length} tensors, ${Object.keys(js.kv).length} keys)`);
  }
}
process.exit(failures ? 1 : 0);
