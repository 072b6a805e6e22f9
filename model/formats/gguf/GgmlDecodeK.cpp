// Decoders of ggml's 256-element super-block types: the k-quants Q2_K .. Q8_K, IQ4_XS
// and the ternary TQ1_0 / TQ2_0. Within a super-block, element e = 128h + 32j + l
// (h half, j two-bit plane or sub-block, l lane) as QUANT.md section 3 lays out.
#include "GgmlBlocks.h"
#include "GgmlDecode.h"
#include "GgmlTables.h"

namespace ws::ggml {

void decodeQ2_K(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 84) {
        const uint8_t* scales = src;
        const float d = loadF16(src + 80), dmin = loadF16(src + 82);
        for (int h = 0; h < 2; ++h) {
            const uint8_t* q = src + 16 + 32 * h;
            for (int j = 0; j < 4; ++j) {
                for (int half = 0; half < 2; ++half, dst += 16) {
                    const uint8_t sc = scales[8 * h + 2 * j + half];
                    const float dl = d * float(sc & 0xF), ml = dmin * float(sc >> 4);
                    const uint8_t* qq = q + 16 * half;
                    for (int l = 0; l < 16; ++l)
                        dst[l] = dl * float((qq[l] >> (2 * j)) & 3) - ml;
                }
            }
        }
    }
}

namespace {

// The 16 signed 6-bit sub-block scales of a Q3_K block (before the - 32).
void q3kScales(const uint8_t* s12, int out[16]) {
    for (int s = 0; s < 16; ++s) {
        const int lo = s < 8 ? s12[s] & 15 : s12[s - 8] >> 4;
        const int hi = (s12[8 + s % 4] >> (2 * (s / 4))) & 3;
        out[s] = lo | (hi << 4);
    }
}

// Scale and min of sub-block j of a Q4_K / Q5_K block (ggml's get_scale_min_k4).
inline void scaleMinK4(int j, const uint8_t* q, int* sc, int* m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

} // namespace

void decodeQ3_K(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    int scales[16];
    for (int64_t b = 0; b < nBlocks; ++b, src += 110) {
        const uint8_t* hm = src;
        const float dAll = loadF16(src + 108);
        q3kScales(src + 96, scales);
        int is = 0;
        for (int h = 0; h < 2; ++h) {
            const uint8_t* q = src + 32 + 32 * h;
            for (int j = 0; j < 4; ++j) {
                const int shift = 2 * j;
                const uint8_t mask = uint8_t(1 << (4 * h + j));
                for (int half = 0; half < 2; ++half, dst += 16) {
                    const float dl = dAll * float(scales[is++] - 32);
                    const int o = 16 * half;
                    for (int l = 0; l < 16; ++l) {
                        const int v = ((q[o + l] >> shift) & 3) - ((hm[o + l] & mask) ? 0 : 4);
                        dst[l] = dl * float(v);
                    }
                }
            }
        }
    }
}

void decodeQ4_K(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 144) {
        const float d = loadF16(src), dmin = loadF16(src + 2);
        const uint8_t* q = src + 16;
        for (int c = 0; c < 4; ++c, q += 32) {
            int sc, m;
            scaleMinK4(2 * c, src + 4, &sc, &m);
            const float d1 = d * float(sc), m1 = dmin * float(m);
            scaleMinK4(2 * c + 1, src + 4, &sc, &m);
            const float d2 = d * float(sc), m2 = dmin * float(m);
            for (int l = 0; l < 32; ++l)
                dst[l] = d1 * float(q[l] & 0xF) - m1;
            dst += 32;
            for (int l = 0; l < 32; ++l)
                dst[l] = d2 * float(q[l] >> 4) - m2;
            dst += 32;
        }
    }
}

void decodeQ5_K(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 176) {
        const float d = loadF16(src), dmin = loadF16(src + 2);
        const uint8_t* qh = src + 16;
        const uint8_t* q = src + 48;
        for (int c = 0; c < 4; ++c, q += 32) {
            int sc, m;
            scaleMinK4(2 * c, src + 4, &sc, &m);
            const float d1 = d * float(sc), m1 = dmin * float(m);
            scaleMinK4(2 * c + 1, src + 4, &sc, &m);
            const float d2 = d * float(sc), m2 = dmin * float(m);
            const uint8_t u1 = uint8_t(1 << (2 * c)), u2 = uint8_t(2 << (2 * c));
            for (int l = 0; l < 32; ++l)
                dst[l] = d1 * float((q[l] & 0xF) + ((qh[l] & u1) ? 16 : 0)) - m1;
            dst += 32;
            for (int l = 0; l < 32; ++l)
                dst[l] = d2 * float((q[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
            dst += 32;
        }
    }
}

void decodeQ6_K(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 210, dst += 256) {
        const float d = loadF16(src + 208);
        const int8_t* sc = reinterpret_cast<const int8_t*>(src + 192);
        for (int h = 0; h < 2; ++h) {
            const uint8_t* ql = src + 64 * h;
            const uint8_t* qh = src + 128 + 32 * h;
            float* y = dst + 128 * h;
            const int8_t* s = sc + 8 * h;
            for (int l = 0; l < 32; ++l) {
                const int is = l / 16;
                const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l] = d * float(s[is]) * float(q1);
                y[l + 32] = d * float(s[is + 2]) * float(q2);
                y[l + 64] = d * float(s[is + 4]) * float(q3);
                y[l + 96] = d * float(s[is + 6]) * float(q4);
            }
        }
    }
}

void decodeQ8_K(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 292, dst += 256) {
        const float d = bitsToFloat(loadU32(src));
        const int8_t* qs = reinterpret_cast<const int8_t*>(src + 4);
        for (int j = 0; j < 256; ++j)
            dst[j] = d * float(qs[j]);
    }
}

void decodeIQ4_XS(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 136) {
        const float d = loadF16(src);
        const uint16_t scalesH = loadU16(src + 2);
        const uint8_t* scalesL = src + 4;
        const uint8_t* qs = src + 8;
        for (int ib = 0; ib < 8; ++ib, qs += 16, dst += 32) {
            const int ls =
                ((scalesL[ib / 2] >> (4 * (ib % 2))) & 0xF) | (((scalesH >> (2 * ib)) & 3) << 4);
            const float dl = d * float(ls - 32);
            for (int j = 0; j < 16; ++j) {
                dst[j] = dl * float(kvalues_iq4nl[qs[j] & 0xF]);
                dst[j + 16] = dl * float(kvalues_iq4nl[qs[j] >> 4]);
            }
        }
    }
}

void decodeTQ1_0(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
    for (int64_t b = 0; b < nBlocks; ++b, src += 54) {
        const float d = loadF16(src + 52);
        const auto trit = [](uint8_t byte, uint8_t p) {
            const uint8_t q = uint8_t(byte * p);
            return int((uint16_t(q) * 3) >> 8) - 1;
        };
        for (int n = 0; n < 5; ++n)
            for (int m = 0; m < 32; ++m)
                *dst++ = float(trit(src[m], pow3[n])) * d;
        for (int n = 0; n < 5; ++n)
            for (int m = 0; m < 16; ++m)
                *dst++ = float(trit(src[32 + m], pow3[n])) * d;
        for (int n = 0; n < 4; ++n)
            for (int j = 0; j < 4; ++j)
                *dst++ = float(trit(src[48 + j], pow3[n])) * d;
    }
}

void decodeTQ2_0(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 66) {
        const float d = loadF16(src + 64);
        for (int h = 0; h < 2; ++h)
            for (int j = 0; j < 4; ++j)
                for (int m = 0; m < 32; ++m)
                    *dst++ = float(((src[32 * h + m] >> (2 * j)) & 3) - 1) * d;
    }
}

} // namespace ws::ggml
