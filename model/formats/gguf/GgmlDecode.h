// Block decoders of every ggml type we read, one function per type with ggml's
// arithmetic (see GgmlBlocks.h); GgmlTypes.cpp puts them in the type table.
#pragma once

#include <cstdint>

namespace ws::ggml {

// 32-element blocks (GgmlDecodeLegacy.cpp)
void decodeQ4_0(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeQ4_1(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeQ5_0(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeQ5_1(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeQ8_0(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeQ8_1(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeIQ4_NL(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeMXFP4(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeNVFP4(const uint8_t* src, int64_t nBlocks, float* dst);

// 256-element super-blocks (GgmlDecodeK.cpp)
void decodeQ2_K(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeQ3_K(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeQ4_K(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeQ5_K(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeQ6_K(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeQ8_K(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeIQ4_XS(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeTQ1_0(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeTQ2_0(const uint8_t* src, int64_t nBlocks, float* dst);

// Grid-based i-quants (GgmlDecodeIQ.cpp)
void decodeIQ2_XXS(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeIQ2_XS(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeIQ2_S(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeIQ3_XXS(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeIQ3_S(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeIQ1_S(const uint8_t* src, int64_t nBlocks, float* dst);
void decodeIQ1_M(const uint8_t* src, int64_t nBlocks, float* dst);

} // namespace ws::ggml
