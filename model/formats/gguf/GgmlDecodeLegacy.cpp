// Decoders of ggml's 32- and 64-element block types (Q4_0 .. Q8_1, IQ4_NL, MXFP4,
// NVFP4). Element e of a block with packed nibbles is the low nibble of byte e for
// the first half and the high nibble of byte e - half for the second.
#include "GgmlBlocks.h"
#include "GgmlDecode.h"
#include "GgmlTables.h"

namespace ws::ggml {

void decodeQ4_0(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 18, dst += 32) {
        const float d = loadF16(src);
        const uint8_t* qs = src + 2;
        for (int j = 0; j < 16; ++j) {
            dst[j] = float((qs[j] & 0x0F) - 8) * d;
            dst[j + 16] = float((qs[j] >> 4) - 8) * d;
        }
    }
}

void decodeQ4_1(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 20, dst += 32) {
        const float d = loadF16(src), m = loadF16(src + 2);
        const uint8_t* qs = src + 4;
        for (int j = 0; j < 16; ++j) {
            dst[j] = float(qs[j] & 0x0F) * d + m;
            dst[j + 16] = float(qs[j] >> 4) * d + m;
        }
    }
}

void decodeQ5_0(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 22, dst += 32) {
        const float d = loadF16(src);
        const uint32_t qh = loadU32(src + 2);
        const uint8_t* qs = src + 6;
        for (int j = 0; j < 16; ++j) {
            const int h0 = int((qh >> j) << 4) & 0x10, h1 = int(qh >> (j + 12)) & 0x10;
            dst[j] = float(((qs[j] & 0x0F) | h0) - 16) * d;
            dst[j + 16] = float(((qs[j] >> 4) | h1) - 16) * d;
        }
    }
}

void decodeQ5_1(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 24, dst += 32) {
        const float d = loadF16(src), m = loadF16(src + 2);
        const uint32_t qh = loadU32(src + 4);
        const uint8_t* qs = src + 8;
        for (int j = 0; j < 16; ++j) {
            const int h0 = int((qh >> j) << 4) & 0x10, h1 = int(qh >> (j + 12)) & 0x10;
            dst[j] = float((qs[j] & 0x0F) | h0) * d + m;
            dst[j + 16] = float((qs[j] >> 4) | h1) * d + m;
        }
    }
}

void decodeQ8_0(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 34, dst += 32) {
        const float d = loadF16(src);
        const int8_t* qs = reinterpret_cast<const int8_t*>(src + 2);
        for (int j = 0; j < 32; ++j)
            dst[j] = float(qs[j]) * d;
    }
}

// Q8_1 (36 bytes: d, s = d * sum q, 32 x int8) is a dot-product intermediate that
// files should not hold; decoded like Q8_0 if one does.
void decodeQ8_1(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 36, dst += 32) {
        const float d = loadF16(src);
        const int8_t* qs = reinterpret_cast<const int8_t*>(src + 4);
        for (int j = 0; j < 32; ++j)
            dst[j] = float(qs[j]) * d;
    }
}

void decodeIQ4_NL(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 18, dst += 32) {
        const float d = loadF16(src);
        const uint8_t* qs = src + 2;
        for (int j = 0; j < 16; ++j) {
            dst[j] = d * float(kvalues_iq4nl[qs[j] & 0x0F]);
            dst[j + 16] = d * float(kvalues_iq4nl[qs[j] >> 4]);
        }
    }
}

void decodeMXFP4(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 17, dst += 32) {
        const float d = e8m0Half(src[0]);
        const uint8_t* qs = src + 1;
        for (int j = 0; j < 16; ++j) {
            dst[j] = float(kvalues_mxfp4[qs[j] & 0x0F]) * d;
            dst[j + 16] = float(kvalues_mxfp4[qs[j] >> 4]) * d;
        }
    }
}

void decodeNVFP4(const uint8_t* __restrict src, int64_t nBlocks, float* __restrict dst) {
    for (int64_t b = 0; b < nBlocks; ++b, src += 36) {
        for (int s = 0; s < 4; ++s, dst += 16) {
            const float d = ue4m3Half(src[s]);
            const uint8_t* qs = src + 4 + 8 * s;
            for (int j = 0; j < 8; ++j) {
                dst[j] = float(kvalues_mxfp4[qs[j] & 0x0F]) * d;
                dst[j + 8] = float(kvalues_mxfp4[qs[j] >> 4]) * d;
            }
        }
    }
}

} // namespace ws::ggml
