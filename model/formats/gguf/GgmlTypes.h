// ggml's tensor types as GGUF files name them: type ids, ggml's type names
// ("q4_K"), block geometry, and the decoder and reference quantizer of each.
#pragma once

#include "DType.h"

#include <QString>
#include <cstdint>
#include <optional>

namespace ws::ggml {

/// Decodes \a nBlocks whole blocks at \a src into blockElements floats each.
using DecodeFn = void (*)(const uint8_t* src, int64_t nBlocks, float* dst);
/// Quantizes \a nBlocks blocks of floats with ggml's reference quantizer.
using QuantizeFn = void (*)(const float* src, int64_t nBlocks, uint8_t* dst);

/// One ggml type.
struct TypeTraits {
    uint32_t id;
    const char* name;  ///< ggml's type_name: "f32", "q4_K", "iq2_xxs"
    int blockElements; ///< 1 for plain types
    int blockBytes;
    DecodeFn decode;     ///< null for plain types and types we cannot decode
    QuantizeFn quantize; ///< null when ggml has no reference quantizer
    /// Block layout for the tensor's panel ("d (f16) + 32 x 4-bit q; x = d * (q - 8)").
    const char* layout;
    /// Why a known type cannot be read or edited (empty when it can).
    const char* limitation;
};

/// The traits of type \a id, or null for an id ggml does not define.
const TypeTraits* typeTraits(uint32_t id);
/// The DType of a plain (unblocked) ggml type: F32, F16, BF16, F64, I8..I64.
std::optional<DType> plainDType(uint32_t id);
/// Bits per weight of \a t: 8 * blockBytes / blockElements.
double bitsPerWeight(const TypeTraits& t);
/// "256 values per 144-byte block, 4.5 bits per weight; <layout>".
QString describe(const TypeTraits& t);

} // namespace ws::ggml
