// Reference quantizers of the non-linear 4-bit types IQ4_NL (32 per block) and
// IQ4_XS (256 per super-block, 6-bit sub-block scales): values are indices into
// kvalues_iq4nl, chosen after a small search for the best sub-block scale.
#include "GgmlBlocks.h"
#include "GgmlQuantize.h"
#include "GgmlTables.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace ws::ggml {

namespace {

constexpr float kGroupMaxEps = 1e-15f;

// ggml's best_index_int8 over kvalues_iq4nl (sorted): nearest entry, ties upward.
int bestIndex(float x) {
    const int8_t* val = kvalues_iq4nl;
    if (x <= float(val[0])) return 0;
    if (x >= float(val[15])) return 15;
    int ml = 0, mu = 15;
    while (mu - ml > 1) {
        const int mav = (ml + mu) / 2;
        if (x < float(val[mav]))
            mu = mav;
        else
            ml = mav;
    }
    return x - float(val[mu - 1]) < float(val[mu]) - x ? mu - 1 : mu;
}

// The first half of ggml's quantize_row_iq4_nl_impl for one 32-value sub-block
// (weights x^2): its scale, and the indices of the first pass in L. False (scale 0,
// L untouched) when max |x| < 1e-15.
bool fitSubBlock(const float* xb, int ntry, float* scale, uint8_t* L) {
    float amax = 0, max = 0;
    for (int j = 0; j < 32; ++j) {
        const float ax = std::fabs(xb[j]);
        if (ax > amax) {
            amax = ax;
            max = xb[j];
        }
    }
    if (amax < kGroupMaxEps) {
        *scale = 0;
        return false;
    }
    const float v0 = float(kvalues_iq4nl[0]);
    const auto sums = [&](float id, uint8_t* out, float* sumqx, float* sumq2) {
        *sumqx = *sumq2 = 0;
        for (int j = 0; j < 32; ++j) {
            const int l = bestIndex(id * xb[j]);
            if (out) out[j] = uint8_t(l);
            const float q = float(kvalues_iq4nl[l]);
            const float w = xb[j] * xb[j];
            *sumqx += w * q * xb[j];
            *sumq2 += w * q * q;
        }
    };
    float d = ntry > 0 ? -max / v0 : max / v0;
    float sumqx, sumq2;
    sums(1 / d, L, &sumqx, &sumq2);
    d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
    float best = d * sumqx;
    for (int itry = -ntry; itry <= ntry; ++itry) {
        sums(float(itry + kvalues_iq4nl[0]) / max, nullptr, &sumqx, &sumq2);
        if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
            d = sumqx / sumq2;
            best = d * sumqx;
        }
    }
    *scale = d;
    return true;
}

// q4[16i + j] = L[32i + j] | L[32i + 16 + j] << 4.
void packIq4(const uint8_t* L, int n, uint8_t* q4) {
    for (int i = 0; i < n / 32; ++i)
        for (int j = 0; j < 16; ++j)
            q4[16 * i + j] = uint8_t(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
}

} // namespace

void quantizeIQ4_NL(const float* x, int64_t nBlocks, uint8_t* y) {
    uint8_t L[32] = {}; // stale across blocks, as in ggml (see GgmlQuantize.h)
    for (int64_t b = 0; b < nBlocks; ++b, x += 32, y += 18) {
        float scale;
        fitSubBlock(x, -1, &scale, L);
        storeF16(y, scale);
        packIq4(L, 32, y + 2);
    }
}

void quantizeIQ4_XS(const float* x, int64_t nBlocks, uint8_t* y) {
    for (int64_t b = 0; b < nBlocks; ++b, x += 256, y += 136) {
        uint8_t L[256] = {};
        float scales[8];
        float maxScale = 0, amaxScale = 0;
        for (int ib = 0; ib < 8; ++ib) {
            fitSubBlock(x + 32 * ib, 7, &scales[ib], L + 32 * ib);
            const float a = std::fabs(scales[ib]);
            if (a > amaxScale) {
                amaxScale = a;
                maxScale = scales[ib];
            }
        }
        const float d = -maxScale / 32;
        storeF16(y, d);
        const float id = d != 0 ? 1 / d : 0.f;
        uint16_t scalesH = 0;
        uint8_t* scalesL = y + 4;
        std::memset(scalesL, 0, 4);
        for (int ib = 0; ib < 8; ++ib) {
            int l = std::max(-32, std::min(31, nearestInt(id * scales[ib])));
            const float dl = d * float(l);
            const float idl = dl != 0 ? 1 / dl : 0.f;
            for (int j = 0; j < 32; ++j)
                L[32 * ib + j] = uint8_t(bestIndex(idl * x[32 * ib + j]));
            l += 32;
            scalesL[ib / 2] = uint8_t(scalesL[ib / 2] | ((l & 0xF) << (4 * (ib % 2))));
            scalesH = uint16_t(scalesH | ((l >> 4) << (2 * ib)));
        }
        storeU16(y + 2, scalesH);
        packIq4(L, 256, y + 8);
    }
}

} // namespace ws::ggml
