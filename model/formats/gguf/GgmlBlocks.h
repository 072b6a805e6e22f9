// Shared arithmetic of ggml's block codecs: little-endian field access, the f16,
// E8M0 and UE4M3 scale conversions and ggml's rounding helpers, each exactly as
// ggml computes it (one IEEE float32 operation at a time, no fused multiply-add).
#pragma once

#include "DType.h"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace ws::ggml {

inline uint16_t loadU16(const uint8_t* p) {
    return uint16_t(p[0] | (p[1] << 8));
}
inline uint32_t loadU32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline void storeU16(uint8_t* p, uint16_t v) {
    p[0] = uint8_t(v);
    p[1] = uint8_t(v >> 8);
}
inline void storeU32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        p[i] = uint8_t(v >> (8 * i));
}
inline float bitsToFloat(uint32_t b) {
    float f;
    std::memcpy(&f, &b, 4);
    return f;
}
inline uint32_t floatToBits(float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
}

/// IEEE half \a h as float32, exactly (inline: decoders call it once per block). Normal and
/// subnormal halves are rebased by one exact multiplication by 2^112.
inline float f16ToF32(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000) << 16, em = h & 0x7FFFu;
    if (em >= 0x7C00u) return bitsToFloat(sign | 0x7F800000u | (em & 0x3FFu) << 13); // inf, NaN
    return bitsToFloat(sign | floatToBits(bitsToFloat(em << 13) * 0x1p112f));
}
/// The f16 at \a p as float32 (exact).
inline float loadF16(const uint8_t* p) {
    return f16ToF32(loadU16(p));
}
/// \a v with its sign flipped when \a negative: the same bits as v * -1.f, without a
/// branch (sign bits are random in i-quant blocks).
inline float flipSign(float v, bool negative) {
    return bitsToFloat(floatToBits(v) ^ (uint32_t(negative) << 31));
}
/// Stores \a v as f16, rounded to nearest even (GGML_FP32_TO_FP16).
inline void storeF16(uint8_t* p, float v) {
    storeU16(p, floatToHalf(v));
}
/// What an f16 store of \a v reads back as.
inline float roundF16(float v) {
    return halfToFloat(floatToHalf(v));
}

/// ggml's nearest_int: the magic-number rounding (half to even for |f| < 2^22).
inline int nearestInt(float f) {
    const float v = f + 12582912.f;
    int32_t i;
    std::memcpy(&i, &v, 4);
    return (i & 0x007fffff) - 0x00400000;
}

/// 2^(e - 128): an E8M0 scale halved, as ggml keeps MXFP4 values doubled.
inline float e8m0Half(uint8_t e) {
    return bitsToFloat(e < 2 ? uint32_t(0x00200000) << e : uint32_t(e - 1) << 23);
}

/// Half a UE4M3 scale (bias 7); 0x00 and 0x7F read as 0 and bit 7 is ignored, as in ggml.
inline float ue4m3Half(uint8_t u) {
    if (u == 0 || u == 0x7F) return 0.0f;
    const int exp = (u >> 3) & 0xF, man = u & 7;
    const float raw =
        exp == 0 ? std::ldexp(float(man), -9) : std::ldexp(1.0f + float(man) / 8.0f, exp - 7);
    return raw * 0.5f;
}

/// ggml's float -> UE4M3: mantissa rounded half up, >= 448 saturating to 0x7E.
inline uint8_t toUe4m3(float x) {
    if (!(x > 0.0f)) return 0;
    if (x > 448.0f) x = 448.0f;
    const uint32_t bits = floatToBits(x);
    const int exp = int((bits >> 23) & 0xFF) - 127 + 7;
    int man = int((bits >> 20) & 7);
    if (exp <= 0) {
        int sub = int(x * 512.0f + 0.5f);
        if (sub > 7) sub = 7;
        return sub < 1 ? 0 : uint8_t(sub);
    }
    if (exp >= 15) return 0x7E;
    man += int((bits >> 19) & 1);
    int e = exp;
    if (man > 7) {
        man = 0;
        if (++e >= 15) return 0x7E;
    }
    return uint8_t((e << 3) | man);
}

/// A float -> int32 conversion as x86's cvttss2si performs it: truncation toward zero,
/// and INT32_MIN for NaN and values out of range (where C leaves the cast undefined).
inline int32_t truncToInt32(float v) {
    if (!(v > -2147483904.0f && v < 2147483648.0f)) return INT32_MIN;
    return int32_t(v);
}
/// C's (int8_t) / (uint8_t) cast of a float as x86 compiles it: truncate, keep the low byte.
inline int truncToInt8(float v) {
    return int(int8_t(uint8_t(uint32_t(truncToInt32(v)) & 0xFF)));
}
inline int truncToUInt8(float v) {
    return int(uint32_t(truncToInt32(v)) & 0xFF);
}

} // namespace ws::ggml
