// compressed-tensors packed formats: pack-quantized integers (weight_packed int32
// [out, ceil(in*bits/32)], values stored + 2^(bits-1), zero points packed along the
// outputs) and FP4 (nvfp4-pack-quantized with FP8 scales per 16 and a global scale,
// mxfp4-pack-quantized with E8M0 scales per 32; two E2M1 values per byte, element
// 2i in the low nibble).
#pragma once

#include "QuantizedEncoding.h"

namespace ws::quant {

/// How the integer fields of one row lie in its int32 words.
enum class Packing {
    Stream,  ///< one LSB-first bit stream (compressed-tensors >= 0.17: fields may straddle)
    PerWord, ///< 32/bits fields per word, leftover bits unused (older releases)
};

/// Where the zero points of an asymmetric layer are.
enum class ZeroPoints {
    None,   ///< symmetric: q - 2^(bits-1)
    Packed, ///< weight_zero_point int32 packed along the outputs (dim 0)
    Plain,  ///< weight_zero_point as signed integers shaped like the scales
};

/// W[r][c] = (q[r][c] - zp[r][g]) * scale[r][g], g = g_idx[c] or c / groupSize; the
/// scale may be one per tensor ([1]), per row ([out, 1]) or per group ([out, groups]).
class CtIntEncoding : public LayerEncoding {
public:
    /// \a shape is the layer's weight_shape (listed among the sources, not read again);
    /// \a zero and \a gIdx may be null.
    CtIntEncoding(TensorPtr packed, TensorPtr scale, TensorPtr shape, TensorPtr zero,
                  TensorPtr gIdx, int bits, Packing packing, ZeroPoints zeros, int64_t out,
                  int64_t in, int64_t groupSize, int64_t scaleRows, int64_t scaleCols);

    QString typeName() const override;
    QString description() const override;
    QString readOnlyReason() const override;
    /// Words one row (or zero-point column) of \a n fields takes.
    static int64_t wordsFor(int64_t n, int bits, Packing packing);

protected:
    bool decodeRect(int64_t r0, int64_t nRows, int64_t c0, int64_t nCols, float* dst,
                    QString* error) const override;

private:
    bool readZeros(int64_t r0, int64_t nRows, int64_t g0, int64_t nG, std::vector<float>* out,
                   QString* error) const;

    int m_bits;
    Packing m_packing;
    ZeroPoints m_zeros;
    int64_t m_group, m_scaleRows, m_scaleCols, m_rowWords;
    int m_zeroIndex = -1, m_gIdxIndex = -1; ///< in the components, -1 when absent
};

/// W = e2m1(nibble) * (scale / global_scale) (NVFP4: FP8 scale per 16, division first as
/// compressed-tensors does) or e2m1(nibble) * 2^(e - 127) (MXFP4: E8M0 byte per 32).
class Fp4Encoding : public LayerEncoding {
public:
    /// \a global may be null (MXFP4, or NVFP4 without a global scale).
    Fp4Encoding(TensorPtr packed, TensorPtr scale, TensorPtr global, bool mx, int64_t groupSize,
                int64_t out, int64_t in);

    QString typeName() const override;
    QString description() const override;
    QString readOnlyReason() const override;

protected:
    bool decodeRect(int64_t r0, int64_t nRows, int64_t c0, int64_t nCols, float* dst,
                    QString* error) const override;

private:
    bool m_mx, m_hasGlobal;
    int64_t m_group;
};

} // namespace ws::quant
