// The ggml type table (ids and geometry from ggml.h / ggml.c type_traits, as in
// QUANT.md section 2), with our decoder and reference quantizer of each type.
#include "GgmlTypes.h"
#include "GgmlDecode.h"
#include "GgmlQuantize.h"

namespace ws::ggml {

namespace {

constexpr const char* kNoQuantizer =
    "ggml has no reference quantizer for this type (its quantizer searches lattice "
    "neighbours with an importance matrix), so its blocks cannot be re-quantized";
constexpr const char* kNotStorage = "a dot-product intermediate that ggml does not re-quantize";
constexpr const char* kNoDecoder = "a 2026 ggml type that WeightScope cannot decode yet";

const TypeTraits kTypes[] = {
    {0, "f32", 1, 4, nullptr, nullptr, "IEEE float32", ""},
    {1, "f16", 1, 2, nullptr, nullptr, "IEEE float16", ""},
    {2, "q4_0", 32, 18, decodeQ4_0, quantizeQ4_0, "d (f16), 32 x 4-bit q; x = d * (q - 8)", ""},
    {3, "q4_1", 32, 20, decodeQ4_1, quantizeQ4_1, "d, m (f16), 32 x 4-bit q; x = d * q + m", ""},
    {6, "q5_0", 32, 22, decodeQ5_0, quantizeQ5_0,
     "d (f16), 32 x 5-bit q (high bits in a u32); x = d * (q - 16)", ""},
    {7, "q5_1", 32, 24, decodeQ5_1, quantizeQ5_1,
     "d, m (f16), 32 x 5-bit q (high bits in a u32); x = d * q + m", ""},
    {8, "q8_0", 32, 34, decodeQ8_0, quantizeQ8_0, "d (f16), 32 x int8 q; x = d * q", ""},
    {9, "q8_1", 32, 36, decodeQ8_1, nullptr, "d, s (f16), 32 x int8 q; x = d * q", kNotStorage},
    {10, "q2_K", 256, 84, decodeQ2_K, quantizeQ2_K,
     "d, dmin (f16), 16 sub-blocks of 16 with 4-bit scale and min, 2-bit q; "
     "x = d * sc * q - dmin * m",
     ""},
    {11, "q3_K", 256, 110, decodeQ3_K, quantizeQ3_K,
     "d (f16), 16 sub-blocks of 16 with 6-bit signed scale, 3-bit q (2 bits + high-bit "
     "mask); x = d * (sc - 32) * (q - 4)",
     ""},
    {12, "q4_K", 256, 144, decodeQ4_K, quantizeQ4_K,
     "d, dmin (f16), 8 sub-blocks of 32 with 6-bit scale and min, 4-bit q; "
     "x = d * sc * q - dmin * m",
     ""},
    {13, "q5_K", 256, 176, decodeQ5_K, quantizeQ5_K,
     "d, dmin (f16), 8 sub-blocks of 32 with 6-bit scale and min, 5-bit q; "
     "x = d * sc * q - dmin * m",
     ""},
    {14, "q6_K", 256, 210, decodeQ6_K, quantizeQ6_K,
     "d (f16), 16 sub-blocks of 16 with int8 scale, 6-bit q; x = d * sc * (q - 32)", ""},
    {15, "q8_K", 256, 292, decodeQ8_K, quantizeQ8_K,
     "d (f32), 256 x int8 q, 16 block sums; x = d * q", ""},
    {16, "iq2_xxs", 256, 66, decodeIQ2_XXS, nullptr,
     "d (f16); per 32: 4 x 8-bit indices into a 256-entry E8 lattice grid, 4 x 7-bit "
     "signs, 4-bit scale; x = d * (0.5 + s) / 4 * grid * sign",
     kNoQuantizer},
    {17, "iq2_xs", 256, 74, decodeIQ2_XS, nullptr,
     "d (f16); per 8: 9-bit index into a 512-entry grid + 7-bit signs; 4-bit scale per 16; "
     "x = d * (0.5 + s) / 4 * grid * sign",
     kNoQuantizer},
    {18, "iq3_xxs", 256, 98, decodeIQ3_XXS, nullptr,
     "d (f16); per 4: 8-bit index into a 256-entry grid; per 32: 4 x 7-bit signs and a "
     "4-bit scale; x = d * (0.5 + s) / 2 * grid * sign",
     kNoQuantizer},
    {19, "iq1_s", 256, 50, decodeIQ1_S, nullptr,
     "d (f16); per 8: 11-bit index into a 2048-entry ternary grid; per 32: 3-bit scale and "
     "delta sign; x = d * (2s + 1) * (grid +- 0.125)",
     kNoQuantizer},
    {20, "iq4_nl", 32, 18, decodeIQ4_NL, quantizeIQ4_NL,
     "d (f16), 32 x 4-bit indices into 16 non-linear values; x = d * kvalues[q]", ""},
    {21, "iq3_s", 256, 110, decodeIQ3_S, nullptr,
     "d (f16); per 4: 9-bit index into a 512-entry grid; sign bits; 4-bit scale per 32; "
     "x = d * (1 + 2s) * grid * sign",
     kNoQuantizer},
    {22, "iq2_s", 256, 82, decodeIQ2_S, nullptr,
     "d (f16); per 8: 10-bit index into a 1024-entry grid + 8 sign bits; 4-bit scale per "
     "16; x = d * (0.5 + s) / 4 * grid * sign",
     kNoQuantizer},
    {23, "iq4_xs", 256, 136, decodeIQ4_XS, quantizeIQ4_XS,
     "d (f16), 8 sub-blocks of 32 with 6-bit scale, 4-bit indices into 16 non-linear "
     "values; x = d * (sc - 32) * kvalues[q]",
     ""},
    {24, "i8", 1, 1, nullptr, nullptr, "int8", ""},
    {25, "i16", 1, 2, nullptr, nullptr, "int16", ""},
    {26, "i32", 1, 4, nullptr, nullptr, "int32", ""},
    {27, "i64", 1, 8, nullptr, nullptr, "int64", ""},
    {28, "f64", 1, 8, nullptr, nullptr, "IEEE float64", ""},
    {29, "iq1_m", 256, 56, decodeIQ1_M, nullptr,
     "f16 scale spread over the top nibbles of 4 u16; per 8: 11-bit grid index and delta "
     "sign; 3-bit scale per 16; x = d * (2s + 1) * (grid +- 0.125)",
     kNoQuantizer},
    {30, "bf16", 1, 2, nullptr, nullptr, "bfloat16", ""},
    {34, "tq1_0", 256, 54, decodeTQ1_0, quantizeTQ1_0,
     "ternary: 5 trits per byte (4 in the last 4 bytes), d (f16); x = d * (t - 1)", ""},
    {35, "tq2_0", 256, 66, decodeTQ2_0, quantizeTQ2_0,
     "ternary: 2 bits per value, d (f16); x = d * (q - 1)", ""},
    {39, "mxfp4", 32, 17, decodeMXFP4, quantizeMXFP4,
     "E8M0 exponent e, 32 x E2M1 (4-bit float) q; x = fp4(q) * 2^(e - 127)", ""},
    {40, "nvfp4", 64, 36, decodeNVFP4, quantizeNVFP4,
     "4 UE4M3 scales (one per 16), 64 x E2M1 (4-bit float) q; x = fp4(q) * scale", ""},
    {41, "q1_0", 128, 18, nullptr, nullptr, "", kNoDecoder},
    {42, "q2_0", 64, 18, nullptr, nullptr, "", kNoDecoder},
};

} // namespace

const TypeTraits* typeTraits(uint32_t id) {
    for (const TypeTraits& t : kTypes)
        if (t.id == id) return &t;
    return nullptr;
}

std::optional<DType> plainDType(uint32_t id) {
    switch (id) {
    case 0:
        return DType::Float32;
    case 1:
        return DType::Float16;
    case 24:
        return DType::Int8;
    case 25:
        return DType::Int16;
    case 26:
        return DType::Int32;
    case 27:
        return DType::Int64;
    case 28:
        return DType::Float64;
    case 30:
        return DType::BFloat16;
    default:
        return std::nullopt;
    }
}

double bitsPerWeight(const TypeTraits& t) {
    return 8.0 * t.blockBytes / t.blockElements;
}

QString describe(const TypeTraits& t) {
    return QStringLiteral("%1: %2 values per %3-byte block, %4 bits per weight; %5")
        .arg(QString::fromLatin1(t.name))
        .arg(t.blockElements)
        .arg(t.blockBytes)
        .arg(bitsPerWeight(t))
        .arg(QString::fromLatin1(t.layout));
}

} // namespace ws::ggml
