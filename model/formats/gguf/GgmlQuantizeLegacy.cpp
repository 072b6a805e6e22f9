// Reference quantizers of the single-scale block types: Q4_0, Q4_1, Q5_0, Q5_1,
// Q8_0, Q8_K, MXFP4, NVFP4 and the ternary TQ1_0 / TQ2_0. Float32 throughout, in
// ggml's operation order; rounding as ggml's (truncating casts, roundf, nearest_int).
#include "GgmlBlocks.h"
#include "GgmlQuantize.h"
#include "GgmlTables.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace ws::ggml {

namespace {

// The first element of largest magnitude, signed (ggml's `if (amax < fabsf(v))` scan).
float signedAbsMax(const float* x, int n, float* amaxOut = nullptr) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < n; ++j)
        if (amax < std::fabs(x[j])) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    if (amaxOut) *amaxOut = amax;
    return max;
}

float absMax(const float* x, int n) {
    float amax = 0.0f;
    for (int j = 0; j < n; ++j)
        amax = std::max(amax, std::fabs(x[j]));
    return amax;
}

// Bits 4 of the 32 quants of a Q5 block, bit e for element e.
uint32_t highBits(const int* q) {
    uint32_t qh = 0;
    for (int j = 0; j < 32; ++j)
        qh |= uint32_t((q[j] & 0x10) >> 4) << j;
    return qh;
}

void packNibbles(const int* q, int half, uint8_t* dst) {
    for (int j = 0; j < half; ++j)
        dst[j] = uint8_t((q[j] & 0xF) | ((q[j + half] & 0xF) << 4));
}

} // namespace

void quantizeQ4_0(const float* x, int64_t nBlocks, uint8_t* y) {
    for (int64_t b = 0; b < nBlocks; ++b, x += 32, y += 18) {
        const float d = signedAbsMax(x, 32) / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        storeF16(y, d);
        int q[32];
        for (int j = 0; j < 32; ++j)
            q[j] = std::min(15, truncToInt8(x[j] * id + 8.5f)) & 0xFF;
        packNibbles(q, 16, y + 2);
    }
}

namespace {

// Q4_1 and Q5_1: min and (max - min) / (2^bits - 1).
void quantizeMinMax(const float* x, int bits, uint8_t* y) {
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < 32; ++j) {
        if (x[j] < min) min = x[j];
        if (x[j] > max) max = x[j];
    }
    const float d = (max - min) / float((1 << bits) - 1);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeF16(y, d);
    storeF16(y + 2, min);
    int q[32];
    for (int j = 0; j < 32; ++j) {
        const float v = (x[j] - min) * id + 0.5f;
        q[j] = bits == 4 ? std::min(15, truncToInt8(v)) & 0xFF : truncToUInt8(v);
    }
    if (bits == 4) {
        packNibbles(q, 16, y + 4);
    } else {
        storeU32(y + 4, highBits(q));
        packNibbles(q, 16, y + 8);
    }
}

} // namespace

void quantizeQ4_1(const float* x, int64_t nBlocks, uint8_t* y) {
    for (int64_t b = 0; b < nBlocks; ++b, x += 32, y += 20)
        quantizeMinMax(x, 4, y);
}

void quantizeQ5_1(const float* x, int64_t nBlocks, uint8_t* y) {
    for (int64_t b = 0; b < nBlocks; ++b, x += 32, y += 24)
        quantizeMinMax(x, 5, y);
}

void quantizeQ5_0(const float* x, int64_t nBlocks, uint8_t* y) {
    for (int64_t b = 0; b < nBlocks; ++b, x += 32, y += 22) {
        const float d = signedAbsMax(x, 32) / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        storeF16(y, d);
        int q[32];
        for (int j = 0; j < 32; ++j)
            q[j] = std::min(31, truncToInt8(x[j] * id + 16.5f)) & 0xFF;
        storeU32(y + 2, highBits(q));
        packNibbles(q, 16, y + 6);
    }
}

void quantizeQ8_0(const float* x, int64_t nBlocks, uint8_t* y) {
    for (int64_t b = 0; b < nBlocks; ++b, x += 32, y += 34) {
        const float d = absMax(x, 32) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        storeF16(y, d);
        for (int j = 0; j < 32; ++j)
            y[2 + j] = uint8_t(truncToInt8(std::round(x[j] * id)));
    }
}

void quantizeQ8_K(const float* x, int64_t nBlocks, uint8_t* y) {
    for (int64_t b = 0; b < nBlocks; ++b, x += 256, y += 292) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < 256; ++j) {
            const float ax = std::fabs(x[j]);
            if (ax > amax) {
                amax = ax;
                max = x[j];
            }
        }
        std::fill(y, y + 292, uint8_t(0));
        if (amax == 0.0f) continue;
        const float iscale = -127.f / max;
        int8_t q[256];
        for (int j = 0; j < 256; ++j)
            q[j] = int8_t(std::min(127, nearestInt(iscale * x[j])));
        for (int j = 0; j < 16; ++j) {
            int sum = 0;
            for (int i = 0; i < 16; ++i)
                sum += q[16 * j + i];
            storeU16(y + 260 + 2 * j, uint16_t(int16_t(sum)));
        }
        std::memcpy(y + 4, q, 256);
        storeU32(y, floatToBits(1 / iscale));
    }
}

namespace {

// ggml's best_index_mxfp4: the first index of least |kvalues_mxfp4[i] * e - x|.
int bestIndexFp4(float x, float e) {
    int best = 0;
    float bestErr = std::fabs(float(kvalues_mxfp4[0]) * e - x);
    for (int i = 1; i < 16; ++i) {
        const float err = std::fabs(float(kvalues_mxfp4[i]) * e - x);
        if (err < bestErr) {
            best = i;
            bestErr = err;
        }
    }
    return best;
}

} // namespace

void quantizeMXFP4(const float* x, int64_t nBlocks, uint8_t* y) {
    for (int64_t b = 0; b < nBlocks; ++b, x += 32, y += 17) {
        float amax = 0.0f;
        for (int j = 0; j < 32; ++j)
            if (amax < std::fabs(x[j])) amax = std::fabs(x[j]);
        // log2f taken as correctly rounded (glibc's agrees): log2 in double, then to float.
        const float lg = float(std::log2(double(amax)));
        const uint8_t e =
            amax > 0.0f ? uint8_t(truncToInt32((std::floor(lg) - 2.0f) + 127.0f) & 0xFF) : 0;
        const float d = e8m0Half(e);
        y[0] = e;
        int q[32];
        for (int j = 0; j < 32; ++j)
            q[j] = bestIndexFp4(x[j], d);
        packNibbles(q, 16, y + 1);
    }
}

void quantizeNVFP4(const float* x, int64_t nBlocks, uint8_t* y) {
    for (int64_t b = 0; b < nBlocks; ++b, y += 36) {
        for (int s = 0; s < 4; ++s, x += 16) {
            float amax = 0.0f;
            for (int j = 0; j < 16; ++j)
                if (amax < std::fabs(x[j])) amax = std::fabs(x[j]);
            const uint8_t ue = toUe4m3(amax / 6.0f);
            y[s] = ue;
            const float d = ue4m3Half(ue);
            int q[16];
            for (int j = 0; j < 16; ++j)
                q[j] = bestIndexFp4(x[j], d);
            packNibbles(q, 8, y + 4 + 8 * s);
        }
    }
}

namespace {

// lroundf(x * id) + 1: -1, 0, 1 -> 0, 1, 2.
inline int trit(float v) {
    return int(std::lround(v)) + 1;
}

// Five (or, with the trailing zero, four) trits into one byte, first most significant,
// then the ceiling division by 243 that lets the decoder extract them by multiplication.
inline uint8_t packTrits(const int* t, int n) {
    uint8_t q = 0;
    for (int k = 0; k < n; ++k)
        q = uint8_t(q * 3 + t[k]);
    if (n == 4) q = uint8_t(q * 3);
    return uint8_t((uint16_t(q) * 256 + 242) / 243);
}

} // namespace

void quantizeTQ1_0(const float* x, int64_t nBlocks, uint8_t* y) {
    for (int64_t b = 0; b < nBlocks; ++b, x += 256, y += 54) {
        const float d = absMax(x, 256);
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        storeF16(y + 52, d);
        int t[5];
        for (int m = 0; m < 32; ++m) { // elements m + 32n, n = 0..4
            for (int n = 0; n < 5; ++n)
                t[n] = trit(x[m + 32 * n] * id);
            y[m] = packTrits(t, 5);
        }
        for (int m = 0; m < 16; ++m) { // elements 160 + m + 16n
            for (int n = 0; n < 5; ++n)
                t[n] = trit(x[160 + m + 16 * n] * id);
            y[32 + m] = packTrits(t, 5);
        }
        for (int j = 0; j < 4; ++j) { // elements 240 + j + 4m
            for (int m = 0; m < 4; ++m)
                t[m] = trit(x[240 + j + 4 * m] * id);
            y[48 + j] = packTrits(t, 4);
        }
    }
}

void quantizeTQ2_0(const float* x, int64_t nBlocks, uint8_t* y) {
    for (int64_t b = 0; b < nBlocks; ++b, x += 256, y += 66) {
        const float d = absMax(x, 256);
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        storeF16(y + 64, d);
        for (int h = 0; h < 2; ++h)
            for (int m = 0; m < 32; ++m) {
                int q = 0;
                for (int n = 0; n < 4; ++n)
                    q += (trit(x[128 * h + m + 32 * n] * id) & 3) << (2 * n);
                y[32 * h + m] = uint8_t(q);
            }
    }
}

} // namespace ws::ggml
