// Cross-checks the GGUF fixtures in tests/fixtures/quant/gguf/ against
// @huggingface/gguf: every field of <file>.expected/expected.json that the JS
// parser reports (version, counts, every KV's type and value or array length
// and first 5 values, tensor names, ne, type ids and names, offsets, data
// offset) must agree. Exit status 0 when all agree, 1 otherwise.
// Usage: node tests/gguf-js/check_fixtures.mjs   (after npm ci --prefix tests/gguf-js)
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { dump } from "./dump.mjs";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "quant", "gguf");
const FILES = ["all_types", "v2", "aligned64", "unknown_type_41", "unknown_type_99"];

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
let failures = 0;

for (const stem of FILES) {
  const exp = JSON.parse(readFileSync(join(DIR, `${stem}.expected`, "expected.json"), "utf8"));
  const got = await dump(join(DIR, `${stem}.gguf`));
  const problems = [];
  const check = (what, a, b) => { if (!same(a, b)) problems.push(`${what}: js ${JSON.stringify(a)} expected ${JSON.stringify(b)}`); };
  check("version", got.version, exp.version);
  check("tensor_count", got.tensor_count, String(exp.tensor_count));
  check("tensorDataOffset", got.tensorDataOffset, String(exp.data_offset));
  check("kv keys", Object.keys(got.kv), exp.metadata.map((m) => m.key));
  for (const m of exp.metadata) {
    const g = got.kv[m.key];
    if (!g) continue;
    check(`${m.key} type`, g.type, m.type);
    if (m.type === "ARRAY") {
      check(`${m.key} subType`, g.subType, m.element_type);
      check(`${m.key} length`, g.length, m.length);
      check(`${m.key} first`, g.first, m.first);
    } else {
      check(`${m.key} value`, g.value, m.value);
    }
  }
  check("tensor names", got.tensors.map((t) => t.name), exp.tensors.map((t) => t.name));
  exp.tensors.forEach((t, i) => {
    const g = got.tensors[i];
    if (!g) return;
    check(`${t.name} n_dims`, g.n_dims, t.ne.length);
    check(`${t.name} shape`, g.shape, t.ne.map(String));
    check(`${t.name} dtype id`, g.dtype.id, t.type_id);
    check(`${t.name} dtype name`, g.dtype.name, t.type);
    check(`${t.name} offset`, g.offset, String(t.offset));
  });
  if (problems.length) {
    failures += 1;
    console.log(`${stem}.gguf: ${problems.length} disagreements`);
    for (const p of problems) console.log(`  ${p}`);
  } else {
    console.log(`${stem}.gguf: agrees with expected.json (${exp.tensors.length} tensors, ${exp.metadata.length} KV)`);
  }
}
process.exit(failures ? 1 : 0);
