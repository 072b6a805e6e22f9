// Prints the structure of a GGUF file as JSON, parsed by @huggingface/gguf
// 0.4.6 (huggingface.js, MIT): a second, independent GGUF parser that the
// WeightScope fixtures and reader are cross-checked against.
//
// Usage: node dump.mjs FILE.gguf
// Output: {version, tensor_count, kv: {key: {type, value} | {type: "ARRAY",
// subType, length, first: [first 5 values]}}, tensors: [{name, n_dims, shape
// (ne order, decimal strings), dtype: {id, name}, offset (decimal string,
// relative to the data section)}], tensorDataOffset (decimal string),
// littleEndian}. 64-bit integers are printed as decimal strings.
//
// How @huggingface/gguf 0.4.6 treats what it does not know (read from its
// dist/chunk-*.mjs, checked on the fixtures):
// - tensor types: the u32 type id is passed through unchecked; the name comes
//   from GGMLQuantizationType in @huggingface/tasks (0.21.54 in the lock file:
//   it knows 0-30, 34, 35, 39 MXFP4, 40 NVFP4, 41 Q1_0, 42 Q2_0). Any other id
//   (e.g. 99) has no name: dtype.name is null here, and the file still parses.
// - metadata value types outside 0-12 throw "Unsupported metadata type"; nested
//   arrays are read (up to depth 4); a duplicate key silently keeps the last
//   value; versions other than 1-3 throw; a version whose low 16 bits are 0 is
//   read as big-endian; the magic must be "GGUF" ("FUGG" throws).
// - it does not check tensor offsets, alignment of offsets, overlaps, ne[0]
//   against the block size, or the data section at all.
// - "version", "tensor_count" and "kv_count" appear among its metadata keys;
//   they are reported at top level here and left out of kv.
import { gguf, GGUFValueType, GGMLQuantizationType } from "@huggingface/gguf";

const HEADER_KEYS = new Set(["version", "tensor_count", "kv_count"]);

function plain(v) {
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

export async function dump(path) {
  const out = await gguf(path, { allowLocalFile: true, typedMetadata: true });
  const kv = {};
  for (const [key, entry] of Object.entries(out.typedMetadata)) {
    if (HEADER_KEYS.has(key)) continue;
    const type = GGUFValueType[entry.type];
    if (entry.type === GGUFValueType.ARRAY) {
      kv[key] = {
        type,
        subType: entry.subType === undefined ? null : GGUFValueType[entry.subType],
        length: entry.value.length,
        first: plain(entry.value.slice(0, 5)),
      };
    } else {
      kv[key] = { type, value: plain(entry.value) };
    }
  }
  return {
    version: out.metadata.version,
    tensor_count: plain(out.metadata.tensor_count),
    kv,
    tensors: out.tensorInfos.map((t) => ({
      name: t.name,
      n_dims: t.n_dims,
      shape: t.shape.map((d) => d.toString()),
      dtype: { id: t.dtype, name: GGMLQuantizationType[t.dtype] ?? null },
      offset: t.offset.toString(),
    })),
    tensorDataOffset: out.tensorDataOffset.toString(),
    littleEndian: out.littleEndian,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.length !== 3) {
    console.error("usage: node dump.mjs FILE.gguf");
    process.exit(2);
  }
  try {
    console.log(JSON.stringify(await dump(process.argv[2]), null, 1));
  } catch (e) {
    console.error(`${process.argv[2]}: ${e.message}`);
    process.exit(1);
  }
}
