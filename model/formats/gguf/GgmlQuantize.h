// ggml's reference quantizers (quantize_row_*_ref, no importance matrix), written
// anew from QUANT.md section 4 and checked byte for byte against the fixtures made
// by tests/fixtures/quant/ggml_ref.py. Editing a quantized cell re-quantizes its
// block with these, so an edited file is what llama.cpp's own quantizer would write.
#pragma once

#include <cstdint>

namespace ws::ggml {

// GgmlQuantizeLegacy.cpp
void quantizeQ4_0(const float* src, int64_t nBlocks, uint8_t* dst);
void quantizeQ4_1(const float* src, int64_t nBlocks, uint8_t* dst);
void quantizeQ5_0(const float* src, int64_t nBlocks, uint8_t* dst);
void quantizeQ5_1(const float* src, int64_t nBlocks, uint8_t* dst);
void quantizeQ8_0(const float* src, int64_t nBlocks, uint8_t* dst);
void quantizeQ8_K(const float* src, int64_t nBlocks, uint8_t* dst);
void quantizeMXFP4(const float* src, int64_t nBlocks, uint8_t* dst);
void quantizeNVFP4(const float* src, int64_t nBlocks, uint8_t* dst);
void quantizeTQ1_0(const float* src, int64_t nBlocks, uint8_t* dst);
void quantizeTQ2_0(const float* src, int64_t nBlocks, uint8_t* dst);

// GgmlQuantizeK.cpp
void quantizeQ2_K(const float* src, int64_t nBlocks, uint8_t* dst);
void quantizeQ3_K(const float* src, int64_t nBlocks, uint8_t* dst);
void quantizeQ4_K(const float* src, int64_t nBlocks, uint8_t* dst);
void quantizeQ5_K(const float* src, int64_t nBlocks, uint8_t* dst);
void quantizeQ6_K(const float* src, int64_t nBlocks, uint8_t* dst);

// GgmlQuantizeIQ4.cpp. IQ4_NL: a block with max |x| < 1e-15 keeps the quant indices
// of the block before it in the same call (ggml leaves its index buffer stale; zeros
// for the first block of a call, where ggml's buffer is uninitialised). d is 0 then,
// so the block decodes to zeros either way.
void quantizeIQ4_NL(const float* src, int64_t nBlocks, uint8_t* dst);
void quantizeIQ4_XS(const float* src, int64_t nBlocks, uint8_t* dst);

} // namespace ws::ggml
