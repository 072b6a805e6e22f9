// GPTQ (AutoGPTQ / GPTQModel, checkpoint formats gptq and gptq_v2) and AWQ gemm:
// integers packed into int32 words along the input dimension (GPTQ: down the
// columns of qweight [in*bits/32, out]) or along the output dimension (AWQ: qweight
// [in, out/8] in AWQ's nibble order), with float16 scales and packed zero points per
// group of inputs. Both store the transpose of the [out, in] weight they decode to.
#pragma once

#include "QuantizedEncoding.h"

namespace ws::quant {

/// W[n][k] = scales[g][n] * (q[k][n] - z[g][n]), g = g_idx[k] (k / group without
/// g_idx); z = stored + 1 in checkpoint format gptq (v1), as stored in gptq_v2.
class GptqEncoding : public LayerEncoding {
public:
    /// \a gIdx may be null. \a groups = rows of scales.
    GptqEncoding(TensorPtr qweight, TensorPtr qzeros, TensorPtr scales, TensorPtr gIdx, int bits,
                 int64_t groupSize, bool groupedAll, bool zeroMinusOne, bool actOrder, int64_t out,
                 int64_t in, int64_t groups);

    QString typeName() const override;
    QString description() const override;
    QString readOnlyReason() const override;

protected:
    int64_t chunkRows() const override;
    bool decodeRect(int64_t r0, int64_t nRows, int64_t c0, int64_t nCols, float* dst,
                    QString* error) const override;

private:
    int m_bits;
    int64_t m_group, m_groups, m_zeroWords;
    bool m_groupedAll, m_zeroMinusOne, m_actOrder, m_hasGIdx;
};

/// AWQ gemm: column 8c + j of a row of qweight / qzeros in nibble R[j] of word c,
/// R = [0, 4, 1, 5, 2, 6, 3, 7]; W[n][k] = (q[k][n] - z[k/g][n]) * s[k/g][n].
class AwqEncoding : public LayerEncoding {
public:
    AwqEncoding(TensorPtr qweight, TensorPtr qzeros, TensorPtr scales, int64_t groupSize,
                int64_t out, int64_t in);

    QString typeName() const override;
    QString description() const override;
    QString readOnlyReason() const override;

protected:
    int64_t chunkRows() const override;
    bool decodeRect(int64_t r0, int64_t nRows, int64_t c0, int64_t nCols, float* dst,
                    QString* error) const override;

private:
    int64_t m_group;
};

} // namespace ws::quant
