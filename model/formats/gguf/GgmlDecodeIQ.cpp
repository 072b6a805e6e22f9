// Decoders of ggml's grid i-quants (IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S,
// IQ1_M): each group of 8 (or 4) values is an entry of a lattice table in
// GgmlTables.h, with sign bits and a 4-bit (IQ1: 3-bit) sub-block scale.
#include "GgmlBlocks.h"
#include "GgmlDecode.h"
#include "GgmlTables.h"

namespace ws::ggml {

namespace {

// Byte j of grid entry g, as ggml reads its uint64/uint32 tables through a byte pointer.
inline uint8_t gridByte(uint64_t g, int j) {
    return uint8_t(g >> (8 * j));
}

// db * grid * (sign bit j set ? -1 : 1), as ggml computes it (the negation is exact).
inline float signedValue(float db, uint8_t q, uint8_t signs, int bit) {
    return flipSign(db * float(q), (signs >> bit) & 1);
}

} // namespace

void decodeIQ2_XXS(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 66) {
        const float d = loadF16(src);
        for (int ib = 0; ib < 8; ++ib) {
            const uint8_t* q = src + 2 + 8 * ib;
            const uint32_t aux = loadU32(q + 4);
            const float db = d * (0.5f + float(aux >> 28)) * 0.25f;
            for (int l = 0; l < 4; ++l, dst += 8) {
                const uint64_t g = iq2xxs_grid[q[l]];
                const uint8_t signs = ksigns_iq2xs[(aux >> (7 * l)) & 127];
                for (int j = 0; j < 8; ++j)
                    dst[j] = signedValue(db, gridByte(g, j), signs, j);
            }
        }
    }
}

void decodeIQ2_XS(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 74) {
        const float d = loadF16(src);
        const uint8_t* scales = src + 66;
        for (int ib = 0; ib < 8; ++ib) {
            const float db[2] = {d * (0.5f + float(scales[ib] & 0xF)) * 0.25f,
                                 d * (0.5f + float(scales[ib] >> 4)) * 0.25f};
            for (int l = 0; l < 4; ++l, dst += 8) {
                const uint16_t qs = loadU16(src + 2 + 2 * (4 * ib + l));
                const uint64_t g = iq2xs_grid[qs & 511];
                const uint8_t signs = ksigns_iq2xs[qs >> 9];
                for (int j = 0; j < 8; ++j)
                    dst[j] = signedValue(db[l / 2], gridByte(g, j), signs, j);
            }
        }
    }
}

void decodeIQ2_S(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 82) {
        const float d = loadF16(src);
        const uint8_t* qs = src + 2;
        const uint8_t* signs = src + 34;
        const uint8_t* qh = src + 66;
        const uint8_t* scales = src + 74;
        for (int ib = 0; ib < 8; ++ib, qs += 4, signs += 4) {
            const float db[2] = {d * (0.5f + float(scales[ib] & 0xF)) * 0.25f,
                                 d * (0.5f + float(scales[ib] >> 4)) * 0.25f};
            for (int l = 0; l < 4; ++l, dst += 8) {
                const uint64_t g = iq2s_grid[qs[l] | ((qh[ib] << (8 - 2 * l)) & 0x300)];
                for (int j = 0; j < 8; ++j)
                    dst[j] = signedValue(db[l / 2], gridByte(g, j), signs[l], j);
            }
        }
    }
}

void decodeIQ3_XXS(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 98) {
        const float d = loadF16(src);
        const uint8_t* qs = src + 2;
        for (int ib = 0; ib < 8; ++ib, qs += 8) {
            const uint32_t aux = loadU32(src + 66 + 4 * ib);
            const float db = d * (0.5f + float(aux >> 28)) * 0.5f;
            for (int l = 0; l < 4; ++l, dst += 8) {
                const uint8_t signs = ksigns_iq2xs[(aux >> (7 * l)) & 127];
                const uint32_t g1 = iq3xxs_grid[qs[2 * l]], g2 = iq3xxs_grid[qs[2 * l + 1]];
                for (int j = 0; j < 4; ++j) {
                    dst[j] = signedValue(db, gridByte(g1, j), signs, j);
                    dst[j + 4] = signedValue(db, gridByte(g2, j), signs, j + 4);
                }
            }
        }
    }
}

void decodeIQ3_S(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 110) {
        const float d = loadF16(src);
        const uint8_t* qs = src + 2;
        const uint8_t* qh = src + 66;
        const uint8_t* signs = src + 74;
        const uint8_t* scales = src + 106;
        for (int ib = 0; ib < 8; ++ib, qs += 8, signs += 4) {
            const int s = ib % 2 == 0 ? scales[ib / 2] & 0xF : scales[ib / 2] >> 4;
            const float db = d * float(1 + 2 * s);
            for (int l = 0; l < 4; ++l, dst += 8) {
                const uint32_t g1 = iq3s_grid[qs[2 * l] | ((qh[ib] << (8 - 2 * l)) & 256)];
                const uint32_t g2 = iq3s_grid[qs[2 * l + 1] | ((qh[ib] << (7 - 2 * l)) & 256)];
                for (int j = 0; j < 4; ++j) {
                    dst[j] = signedValue(db, gridByte(g1, j), signs[l], j);
                    dst[j + 4] = signedValue(db, gridByte(g2, j), signs[l], j + 4);
                }
            }
        }
    }
}

namespace {
constexpr float kIq1Delta = 0.125f;
}

void decodeIQ1_S(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 50) {
        const float d = loadF16(src);
        const uint8_t* qs = src + 2;
        for (int ib = 0; ib < 8; ++ib, qs += 4) {
            const uint16_t qh = loadU16(src + 34 + 2 * ib);
            const float dl = d * float(2 * ((qh >> 12) & 7) + 1);
            const float delta = (qh & 0x8000) ? -kIq1Delta : kIq1Delta;
            for (int l = 0; l < 4; ++l, dst += 8) {
                const uint64_t g = iq1s_grid[qs[l] | (((qh >> (3 * l)) & 7) << 8)];
                for (int j = 0; j < 8; ++j)
                    dst[j] = dl * (float(int8_t(gridByte(g, j))) + delta);
            }
        }
    }
}

void decodeIQ1_M(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 56) {
        const uint8_t* qs = src;
        const uint8_t* qh = src + 32;
        uint16_t sc[4];
        for (int k = 0; k < 4; ++k)
            sc[k] = loadU16(src + 48 + 2 * k);
        const uint16_t scale = uint16_t((sc[0] >> 12) | ((sc[1] >> 8) & 0x00F0) |
                                        ((sc[2] >> 4) & 0x0F00) | (sc[3] & 0xF000));
        const float d = f16ToF32(scale);
        for (int ib = 0; ib < 8; ++ib, qs += 4, qh += 2) {
            const float dl1 = d * float(2 * ((sc[ib / 2] >> (6 * (ib % 2))) & 7) + 1);
            const float dl2 = d * float(2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 7) + 1);
            const int idx[4] = {qs[0] | ((qh[0] << 8) & 0x700), qs[1] | ((qh[0] << 4) & 0x700),
                                qs[2] | ((qh[1] << 8) & 0x700), qs[3] | ((qh[1] << 4) & 0x700)};
            const float delta[4] = {
                (qh[0] & 0x08) ? -kIq1Delta : kIq1Delta, (qh[0] & 0x80) ? -kIq1Delta : kIq1Delta,
                (qh[1] & 0x08) ? -kIq1Delta : kIq1Delta, (qh[1] & 0x80) ? -kIq1Delta : kIq1Delta};
            for (int l = 0; l < 4; ++l, dst += 8) {
                const uint64_t g = iq1s_grid[idx[l]];
                const float dl = l < 2 ? dl1 : dl2;
                for (int j = 0; j < 8; ++j)
                    dst[j] = dl * (float(int8_t(gridByte(g, j))) + delta[l]);
            }
        }
    }
}

} // namespace ws::ggml
