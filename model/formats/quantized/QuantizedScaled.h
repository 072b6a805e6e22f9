// Dense scaled weights: FP8 (or int8) codes stored as the layer's `weight`, times a
// scale per tensor, per output channel, per group of inputs or per block, minus a
// zero point for asymmetric integers. DeepSeek-V3 / Qwen3 block-scaled FP8
// (`weight_scale_inv`, 128 x 128 blocks), compressed-tensors float-quantized and
// naive/int-quantized, fbgemm FP8.
#pragma once

#include "QuantizedEncoding.h"

namespace ws::quant {

/// W[r][c] = (code(weight[r][c]) - zero[r / blockRows][c / blockCols]) *
/// scale[r / blockRows][c / blockCols], in float32 (FP8 codes: no zero point).
/// The scale matrix is [ceil(rows / blockRows), ceil(cols / blockCols)]; edge blocks
/// may be partial.
class ScaledEncoding : public LayerEncoding {
public:
    /// \a layout names the scale layout for typeName(): "128x128 blocks", "per-tensor
    /// scale", "per-channel scale", "g128". \a zero may be null.
    ScaledEncoding(TensorPtr weight, TensorPtr scale, TensorPtr zero, int64_t blockRows,
                   int64_t blockCols, QString layout);

    QString typeName() const override;
    QString description() const override;
    QString readOnlyReason() const override;

    /// Rows and columns of the scale matrix for a [rows, cols] weight.
    static int64_t scaleCount(int64_t n, int64_t block) { return (n + block - 1) / block; }

protected:
    bool decodeRect(int64_t r0, int64_t nRows, int64_t c0, int64_t nCols, float* dst,
                    QString* error) const override;

private:
    int64_t m_blockRows, m_blockCols, m_scaleCols;
    QString m_layout;
    bool m_hasZero;
};

} // namespace ws::quant
