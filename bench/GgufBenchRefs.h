// Plain per-element reference decoders for the GGUF benchmark: each value computed
// on its own from QUANT.md section 3's formulas (block, sub-block and bit position
// found by division for every element), the way a first implementation would be
// written. The benchmark checks they agree with the product's block decoders and
// compares their speed.
#pragma once

#include "DType.h"

#include <cstdint>

namespace wsbench {

inline float f16(const uint8_t* p) {
    return ws::halfToFloat(uint16_t(p[0] | (p[1] << 8)));
}
// nib(p, e, H): low nibble of p[e] if e < H, else high nibble of p[e - H].
inline int nib(const uint8_t* p, int e, int h) {
    return e < h ? p[e] & 15 : p[e - h] >> 4;
}

inline float refQ4_0(const uint8_t* blocks, int64_t i) {
    const uint8_t* b = blocks + i / 32 * 18;
    return float(nib(b + 2, int(i % 32), 16) - 8) * f16(b);
}
inline float refQ8_0(const uint8_t* blocks, int64_t i) {
    const uint8_t* b = blocks + i / 32 * 34;
    return float(int8_t(b[2 + i % 32])) * f16(b);
}
inline float refQ5_0(const uint8_t* blocks, int64_t i) {
    const uint8_t* b = blocks + i / 32 * 22;
    const int e = int(i % 32);
    const uint32_t qh = uint32_t(b[2] | b[3] << 8 | b[4] << 16 | uint32_t(b[5]) << 24);
    return float((nib(b + 6, e, 16) | int((qh >> e) & 1) << 4) - 16) * f16(b);
}
inline float refQ2_K(const uint8_t* blocks, int64_t i) {
    const uint8_t* b = blocks + i / 256 * 84;
    const int e = int(i % 256), h = e / 128, j = (e % 128) / 32, l = e % 32;
    const int q = (b[16 + 32 * h + l] >> (2 * j)) & 3, sc = b[e / 16];
    return f16(b + 80) * float(sc & 15) * float(q) - f16(b + 82) * float(sc >> 4);
}
inline float refQ3_K(const uint8_t* blocks, int64_t i) {
    const uint8_t* b = blocks + i / 256 * 110;
    const int e = int(i % 256), h = e / 128, j = (e % 128) / 32, l = e % 32, s = e / 16;
    int q = (b[32 + 32 * h + l] >> (2 * j)) & 3;
    if (!((b[l] >> (4 * h + j)) & 1)) q -= 4;
    const int lo = s < 8 ? b[96 + s] & 15 : b[96 + s - 8] >> 4;
    const int hi = (b[96 + 8 + s % 4] >> (2 * (s / 4))) & 3;
    return f16(b + 108) * float((lo | hi << 4) - 32) * float(q);
}
inline void k4Scale(const uint8_t* k, int s, int* sc, int* m) {
    if (s < 4) {
        *sc = k[s] & 63;
        *m = k[s + 4] & 63;
    } else {
        *sc = (k[s + 4] & 15) | (k[s - 4] >> 6) << 4;
        *m = (k[s + 4] >> 4) | (k[s] >> 6) << 4;
    }
}
inline float refQ4_K(const uint8_t* blocks, int64_t i) {
    const uint8_t* b = blocks + i / 256 * 144;
    const int e = int(i % 256), c = e / 64, l = e % 32;
    const int q = e % 64 < 32 ? b[16 + 32 * c + l] & 15 : b[16 + 32 * c + l] >> 4;
    int sc, m;
    k4Scale(b + 4, e / 32, &sc, &m);
    return f16(b) * float(sc) * float(q) - f16(b + 2) * float(m);
}
inline float refQ5_K(const uint8_t* blocks, int64_t i) {
    const uint8_t* b = blocks + i / 256 * 176;
    const int e = int(i % 256), c = e / 64, l = e % 32;
    int q = e % 64 < 32 ? b[48 + 32 * c + l] & 15 : b[48 + 32 * c + l] >> 4;
    q += 16 * ((b[16 + l] >> (e / 32)) & 1);
    int sc, m;
    k4Scale(b + 4, e / 32, &sc, &m);
    return f16(b) * float(sc) * float(q) - f16(b + 2) * float(m);
}
inline float refQ6_K(const uint8_t* blocks, int64_t i) {
    const uint8_t* b = blocks + i / 256 * 210;
    const int e = int(i % 256), h = e / 128, k = (e % 128) / 32, l = e % 32;
    const uint8_t lb = b[64 * h + 32 * (k % 2) + l];
    const int lo = k < 2 ? lb & 15 : lb >> 4;
    const int hi = (b[128 + 32 * h + l] >> (2 * k)) & 3;
    return f16(b + 208) * float(int8_t(b[192 + e / 16])) * float((lo | hi << 4) - 32);
}
inline float refTQ2_0(const uint8_t* blocks, int64_t i) {
    const uint8_t* b = blocks + i / 256 * 66;
    const int e = int(i % 256), h = e / 128, j = (e % 128) / 32, l = e % 32;
    return float(((b[32 * h + l] >> (2 * j)) & 3) - 1) * f16(b + 64);
}

} // namespace wsbench
