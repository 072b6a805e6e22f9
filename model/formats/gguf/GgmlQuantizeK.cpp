// Reference quantizers of the k-quants (Q2_K .. Q6_K): per sub-block scale (and
// min) searches - make_qkx2_quants, make_q3_quants, make_qx_quants - then 6- or
// 4-bit super-block scales and a final re-quantization with the stored scales.
// Note (QUANT.md under-specifies it): in make_qkx2_quants an accepted trial's min
// is used by every later trial.
#include "GgmlBlocks.h"
#include "GgmlQuantize.h"

#include <algorithm>
#include <cmath>

namespace ws::ggml {

namespace {

constexpr float kGroupMaxEps = 1e-15f;

template <typename T> T clampTo(T v, T lo, T hi) {
    return std::max(lo, std::min(hi, v));
}

// Scale (returned) and min (as a positive *theMin) of n values quantized to 0..nmax.
float makeQkx2Quants(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                     float* theMin, float rmin, float rdelta, int nstep, bool useMad) {
    float min = x[0], max = x[0];
    float sumW = weights[0];
    float sumX = sumW * x[0];
    for (int i = 1; i < n; ++i) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        const float w = weights[i];
        sumW += w;
        sumX += w * x[i];
    }
    if (min > 0) min = 0;
    if (max == min) {
        std::fill(L, L + n, uint8_t(0));
        *theMin = -min;
        return 0.f;
    }
    const auto errorOf = [&](float scale, float m, const uint8_t* Ls) {
        float err = 0;
        for (int i = 0; i < n; ++i) {
            float diff = scale * float(Ls[i]) + m - x[i];
            diff = useMad ? std::fabs(diff) : diff * diff;
            err += weights[i] * diff;
        }
        return err;
    };
    float iscale = float(nmax) / (max - min);
    float scale = 1 / iscale;
    for (int i = 0; i < n; ++i)
        L[i] = uint8_t(clampTo(nearestInt(iscale * (x[i] - min)), 0, nmax));
    float bestError = errorOf(scale, min, L);
    uint8_t Laux[32];
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + rdelta * float(is) + float(nmax)) / (max - min);
        float sumL = 0, sumL2 = 0, sumXL = 0;
        for (int i = 0; i < n; ++i) {
            const int l = clampTo(nearestInt(iscale * (x[i] - min)), 0, nmax);
            Laux[i] = uint8_t(l);
            const float w = weights[i];
            sumL += w * float(l);
            sumL2 += w * float(l) * float(l);
            sumXL += w * float(l) * x[i];
        }
        const float D = sumW * sumL2 - sumL * sumL;
        if (!(D > 0)) continue;
        float thisScale = (sumW * sumXL - sumX * sumL) / D;
        float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
        if (thisMin > 0) {
            thisMin = 0;
            thisScale = sumXL / sumL2;
        }
        const float curError = errorOf(thisScale, thisMin, Laux);
        if (curError < bestError) {
            std::copy(Laux, Laux + n, L);
            bestError = curError;
            scale = thisScale;
            min = thisMin;
        }
    }
    *theMin = -min;
    return scale;
}

// make_qx_quants with rmse_type 1 and no weights (Q6_K): L = l + nmax, l in [-nmax, nmax).
float makeQxQuants(int n, int nmax, const float* x, int8_t* L) {
    float max = 0, amax = 0;
    for (int i = 0; i < n; ++i) {
        const float ax = std::fabs(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < kGroupMaxEps) {
        std::fill(L, L + n, int8_t(0));
        return 0.f;
    }
    const auto pass = [&](float iscale, int8_t* out, float* sumlx, float* suml2) {
        *sumlx = *suml2 = 0;
        for (int i = 0; i < n; ++i) {
            const int l = clampTo(nearestInt(iscale * x[i]), -nmax, nmax - 1);
            if (out) out[i] = int8_t(l + nmax);
            const float w = x[i] * x[i];
            *sumlx += w * x[i] * float(l);
            *suml2 += w * float(l) * float(l);
        }
    };
    float iscale = float(-nmax) / max;
    float sumlx, suml2;
    pass(iscale, L, &sumlx, &suml2);
    float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; ++is) {
        if (is == 0) continue;
        iscale = -(float(nmax) + 0.1f * float(is)) / max;
        pass(iscale, nullptr, &sumlx, &suml2);
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            pass(iscale, L, &sumlx, &suml2);
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

// make_q3_quants with do_rmse (Q3_K): L = l + nmax after a coordinate-descent refinement.
float makeQ3Quants(int n, int nmax, const float* x, int8_t* L) {
    float max = 0, amax = 0;
    for (int i = 0; i < n; ++i) {
        const float ax = std::fabs(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < kGroupMaxEps) {
        std::fill(L, L + n, int8_t(0));
        return 0.f;
    }
    const float iscale = float(-nmax) / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = clampTo(nearestInt(iscale * x[i]), -nmax, nmax - 1);
        L[i] = int8_t(l);
        const float w = x[i] * x[i];
        sumlx += w * x[i] * float(l);
        suml2 += w * float(l) * float(l);
    }
    for (int itry = 0; itry < 5; ++itry) {
        int changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = x[i] * x[i];
            float slx = sumlx - w * x[i] * float(L[i]);
            if (!(slx > 0)) continue;
            float sl2 = suml2 - w * float(L[i]) * float(L[i]);
            const int newL = clampTo(nearestInt(x[i] * sl2 / slx), -nmax, nmax - 1);
            if (newL == L[i]) continue;
            slx += w * x[i] * float(newL);
            sl2 += w * float(newL) * float(newL);
            if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                L[i] = int8_t(newL);
                sumlx = slx;
                suml2 = sl2;
                ++changed;
            }
        }
        if (!changed) break;
    }
    for (int i = 0; i < n; ++i)
        L[i] = int8_t(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// qs[32h + l] = L[128h + l] | L[+32] << 2 | L[+64] << 4 | L[+96] << 6.
void pack2Bit(const uint8_t* L, uint8_t* qs) {
    for (int h = 0; h < 2; ++h)
        for (int l = 0; l < 32; ++l) {
            const uint8_t* p = L + 128 * h + l;
            qs[32 * h + l] = uint8_t(p[0] | (p[32] << 2) | (p[64] << 4) | (p[96] << 6));
        }
}

} // namespace

void quantizeQ2_K(const float* x, int64_t nBlocks, uint8_t* y) {
    const float q4scale = 15.f;
    for (int64_t b = 0; b < nBlocks; ++b, x += 256, y += 84) {
        uint8_t L[256];
        float weights[16], mins[16], scales[16];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 16; ++j) {
            for (int l = 0; l < 16; ++l)
                weights[l] = std::fabs(x[16 * j + l]);
            scales[j] = makeQkx2Quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], -0.5f,
                                       0.1f, 15, true);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        uint8_t* sc = y;
        if (maxScale > 0) {
            const float iscale = q4scale / maxScale;
            for (int j = 0; j < 16; ++j)
                sc[j] = uint8_t(nearestInt(iscale * scales[j]));
            storeF16(y + 80, maxScale / q4scale);
        } else {
            std::fill(sc, sc + 16, uint8_t(0));
            storeF16(y + 80, 0.f);
        }
        if (maxMin > 0) {
            const float iscale = q4scale / maxMin;
            for (int j = 0; j < 16; ++j)
                sc[j] = uint8_t(sc[j] | (nearestInt(iscale * mins[j]) << 4));
            storeF16(y + 82, maxMin / q4scale);
        } else {
            storeF16(y + 82, 0.f);
        }
        const float dAll = loadF16(y + 80), dminAll = loadF16(y + 82);
        for (int j = 0; j < 16; ++j) {
            const float d = dAll * float(sc[j] & 0xF);
            if (d == 0) continue;
            const float dm = dminAll * float(sc[j] >> 4);
            for (int i = 0; i < 16; ++i)
                L[16 * j + i] = uint8_t(clampTo(nearestInt((x[16 * j + i] + dm) / d), 0, 3));
        }
        pack2Bit(L, y + 16);
    }
}

void quantizeQ3_K(const float* x, int64_t nBlocks, uint8_t* y) {
    for (int64_t b = 0; b < nBlocks; ++b, x += 256, y += 110) {
        int8_t L[256];
        float scales[16];
        float maxScale = 0, amax = 0;
        for (int j = 0; j < 16; ++j) {
            scales[j] = makeQ3Quants(16, 4, x + 16 * j, L + 16 * j);
            const float scale = std::fabs(scales[j]);
            if (scale > amax) {
                amax = scale;
                maxScale = scales[j];
            }
        }
        uint8_t* s12 = y + 96;
        std::fill(s12, s12 + 12, uint8_t(0));
        if (maxScale != 0) {
            const float iscale = -32.f / maxScale;
            for (int j = 0; j < 16; ++j) {
                int l = int8_t(nearestInt(iscale * scales[j]));
                l = clampTo(l, -32, 31) + 32;
                if (j < 8)
                    s12[j] = uint8_t(l & 0xF);
                else
                    s12[j - 8] = uint8_t(s12[j - 8] | ((l & 0xF) << 4));
                s12[j % 4 + 8] = uint8_t(s12[j % 4 + 8] | ((l >> 4) << (2 * (j / 4))));
            }
            storeF16(y + 108, 1 / iscale);
        } else {
            storeF16(y + 108, 0.f);
        }
        const float dAll = loadF16(y + 108);
        for (int j = 0; j < 16; ++j) {
            const int lo = j < 8 ? s12[j] & 0xF : s12[j - 8] >> 4;
            const int sc = (lo | (((s12[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
            const float d = dAll * float(sc);
            if (d == 0) continue;
            for (int i = 0; i < 16; ++i)
                L[16 * j + i] = int8_t(clampTo(nearestInt(x[16 * j + i] / d), -4, 3) + 4);
        }
        uint8_t* hmask = y;
        std::fill(hmask, hmask + 32, uint8_t(0));
        uint8_t U[256];
        for (int j = 0; j < 256; ++j) {
            int l = L[j];
            if (l > 3) {
                hmask[j % 32] = uint8_t(hmask[j % 32] | (1 << (j / 32)));
                l -= 4;
            }
            U[j] = uint8_t(l);
        }
        pack2Bit(U, y + 32);
    }
}

namespace {

// Q4_K (nmax 15) and Q5_K (nmax 31): d, dmin and the 12 packed scale bytes at y,
// the final quants (0..nmax) in L.
void quantizeQkK(const float* x, int nmax, float rmin, int nstep, uint8_t* y, uint8_t* L) {
    float weights[32], mins[8], scales[8];
    float maxScale = 0, maxMin = 0;
    for (int j = 0; j < 8; ++j) {
        const float* xb = x + 32 * j;
        float sumX2 = 0;
        for (int l = 0; l < 32; ++l)
            sumX2 += xb[l] * xb[l];
        const float avX = std::sqrt(sumX2 / 32);
        for (int l = 0; l < 32; ++l)
            weights[l] = avX + std::fabs(xb[l]);
        scales[j] =
            makeQkx2Quants(32, nmax, xb, weights, L + 32 * j, &mins[j], rmin, 0.1f, nstep, false);
        if (scales[j] > maxScale) maxScale = scales[j];
        if (mins[j] > maxMin) maxMin = mins[j];
    }
    const float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
    const float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
    uint8_t* s = y + 4;
    std::fill(s, s + 12, uint8_t(0));
    for (int j = 0; j < 8; ++j) {
        const int ls = std::min(63, nearestInt(invScale * scales[j]) & 0xFF);
        const int lm = std::min(63, nearestInt(invMin * mins[j]) & 0xFF);
        if (j < 4) {
            s[j] = uint8_t(ls);
            s[j + 4] = uint8_t(lm);
        } else {
            s[j + 4] = uint8_t((ls & 0xF) | ((lm & 0xF) << 4));
            s[j - 4] = uint8_t(s[j - 4] | ((ls >> 4) << 6));
            s[j] = uint8_t(s[j] | ((lm >> 4) << 6));
        }
    }
    storeF16(y, maxScale / 63.f);
    storeF16(y + 2, maxMin / 63.f);
    const float dAll = loadF16(y), dminAll = loadF16(y + 2);
    for (int j = 0; j < 8; ++j) {
        int sc, m;
        if (j < 4) {
            sc = s[j] & 63;
            m = s[j + 4] & 63;
        } else {
            sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
            m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
        }
        const float d = dAll * float(sc);
        if (d == 0) continue;
        const float dm = dminAll * float(m);
        for (int i = 0; i < 32; ++i)
            L[32 * j + i] = uint8_t(clampTo(nearestInt((x[32 * j + i] + dm) / d), 0, nmax));
    }
}

} // namespace

void quantizeQ4_K(const float* x, int64_t nBlocks, uint8_t* y) {
    for (int64_t b = 0; b < nBlocks; ++b, x += 256, y += 144) {
        uint8_t L[256];
        quantizeQkK(x, 15, -1.f, 20, y, L);
        uint8_t* q = y + 16;
        for (int c = 0; c < 4; ++c, q += 32)
            for (int l = 0; l < 32; ++l)
                q[l] = uint8_t(L[64 * c + l] | (L[64 * c + l + 32] << 4));
    }
}

void quantizeQ5_K(const float* x, int64_t nBlocks, uint8_t* y) {
    for (int64_t b = 0; b < nBlocks; ++b, x += 256, y += 176) {
        uint8_t L[256];
        quantizeQkK(x, 31, -0.5f, 15, y, L);
        uint8_t* qh = y + 16;
        uint8_t* ql = y + 48;
        std::fill(qh, qh + 32, uint8_t(0));
        for (int c = 0; c < 4; ++c, ql += 32) {
            const uint8_t m1 = uint8_t(1 << (2 * c)), m2 = uint8_t(2 << (2 * c));
            for (int j = 0; j < 32; ++j) {
                int l1 = L[64 * c + j], l2 = L[64 * c + j + 32];
                if (l1 > 15) {
                    l1 -= 16;
                    qh[j] |= m1;
                }
                if (l2 > 15) {
                    l2 -= 16;
                    qh[j] |= m2;
                }
                ql[j] = uint8_t(l1 | (l2 << 4));
            }
        }
    }
}

void quantizeQ6_K(const float* x, int64_t nBlocks, uint8_t* y) {
    for (int64_t b = 0; b < nBlocks; ++b, x += 256, y += 210) {
        int8_t L[256];
        float scales[16];
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ++ib) {
            scales[ib] = makeQxQuants(16, 32, x + 16 * ib, L + 16 * ib);
            const float a = std::fabs(scales[ib]);
            if (a > maxAbsScale) {
                maxAbsScale = a;
                maxScale = scales[ib];
            }
        }
        std::fill(y, y + 210, uint8_t(0));
        if (maxAbsScale < kGroupMaxEps) continue; // all zero (d = +0)
        const float iscale = -128.f / maxScale;
        storeF16(y + 208, 1 / iscale);
        int8_t* sc = reinterpret_cast<int8_t*>(y + 192);
        for (int ib = 0; ib < 16; ++ib)
            sc[ib] = int8_t(std::min(127, nearestInt(iscale * scales[ib])));
        const float dAll = loadF16(y + 208);
        for (int j = 0; j < 16; ++j) {
            const float d = dAll * float(sc[j]);
            if (d == 0) continue;
            for (int i = 0; i < 16; ++i)
                L[16 * j + i] = int8_t(clampTo(nearestInt(x[16 * j + i] / d), -32, 31) + 32);
        }
        uint8_t* ql = y;
        uint8_t* qh = y + 128;
        for (int h = 0; h < 2; ++h, ql += 64, qh += 32)
            for (int l = 0; l < 32; ++l) {
                const int8_t* p = L + 128 * h + l;
                ql[l] = uint8_t((p[0] & 0xF) | ((p[64] & 0xF) << 4));
                ql[l + 32] = uint8_t((p[32] & 0xF) | ((p[96] & 0xF) << 4));
                qh[l] = uint8_t((p[0] >> 4) | ((p[32] >> 4) << 2) | ((p[64] >> 4) << 4) |
                                ((p[96] >> 4) << 6));
            }
    }
}

} // namespace ws::ggml
