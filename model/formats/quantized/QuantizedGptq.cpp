// GPTQ and AWQ decoders. Both layouts are the transpose of the [out, in] view:
// a rectangle reads its words once, then each output row gathers its column.
#include "QuantizedGptq.h"
#include "QuantizedRead.h"

#include <algorithm>

namespace ws::quant {

namespace {

/// Packed bytes one rectangle of a transposed layout reads at most.
constexpr int64_t kChunkPackedBytes = int64_t(16) << 20;

QString groupText(int64_t group, bool all) {
    return all ? QStringLiteral("one group") : QStringLiteral("g%1").arg(group);
}

} // namespace

GptqEncoding::GptqEncoding(TensorPtr qweight, TensorPtr qzeros, TensorPtr scales, TensorPtr gIdx,
                           int bits, int64_t groupSize, bool groupedAll, bool zeroMinusOne,
                           bool actOrder, int64_t out, int64_t in, int64_t groups)
    : LayerEncoding(out, in, {qweight, qzeros, scales}), m_bits(bits), m_group(groupSize),
      m_groups(groups), m_zeroWords(qzeros->shape[1]), m_groupedAll(groupedAll),
      m_zeroMinusOne(zeroMinusOne), m_actOrder(actOrder), m_hasGIdx(gIdx != nullptr) {
    if (gIdx) m_components.push_back(std::move(gIdx));
}

QString GptqEncoding::typeName() const {
    QString t = QStringLiteral("gptq int%1 (%2").arg(m_bits).arg(groupText(m_group, m_groupedAll));
    return t + (m_actOrder ? QStringLiteral(", act-order)") : QStringLiteral(")"));
}

QString GptqEncoding::description() const {
    const Tensor& q = component(0);
    const Tensor& z = component(1);
    const Tensor& s = component(2);
    const double perGroup = double(m_groups) / double(std::max<int64_t>(1, m_cols));
    const double bits = m_bits + perGroup * (dtypeSize(s.dtype) * 8.0 + m_bits) +
                        (m_hasGIdx ? 32.0 / double(std::max<int64_t>(1, m_rows)) : 0.0);
    QString text =
        QStringLiteral("%1-bit integers packed along the inputs (%2 %3, %4), zero points (%5 "
                       "%6, %7) and %8 scales (%9 %10) per %11")
            .arg(m_bits)
            .arg(q.name, q.shapeString(),
                 m_bits == 3 ? QStringLiteral("one bit stream, 32 values per 3 words")
                             : QStringLiteral("%1 per int32").arg(32 / m_bits),
                 z.name, z.shapeString(),
                 m_zeroMinusOne ? QStringLiteral("stored minus 1: checkpoint format gptq")
                                : QStringLiteral("stored as is: checkpoint format gptq_v2"),
                 dtypeName(s.dtype), s.name, s.shapeString())
            .arg(m_groupedAll ? QStringLiteral("column (one group of all inputs)")
                              : QStringLiteral("group of %1 inputs").arg(m_group));
    if (m_hasGIdx)
        text +=
            QStringLiteral("; %1 maps each input to its group%2")
                .arg(component(3).name, m_actOrder ? QStringLiteral(" (act-order)") : QString());
    return text + QStringLiteral("; %1 bits per weight").arg(bitsText(bits)) + originText();
}

QString GptqEncoding::readOnlyReason() const {
    return QStringLiteral("GPTQ-packed weights cannot be edited yet");
}

int64_t GptqEncoding::chunkRows() const {
    return std::max<int64_t>(1, kChunkPackedBytes / std::max<int64_t>(1, m_cols * m_bits / 8));
}

bool GptqEncoding::decodeRect(int64_t n0, int64_t nN, int64_t k0, int64_t nK, float* dst,
                              QString* error) const {
    const int b = m_bits;
    const int64_t N = m_rows;
    // The qweight words holding inputs [k0, k0 + nK) of outputs [n0, n0 + nN).
    const int64_t w0 = k0 * b / 32, nW = ((k0 + nK) * b + 31) / 32 - w0;
    Scratch<uint32_t> q(nW * nN);
    if (!readWordRect(component(0), N, w0, nW, n0, nN, q.data(), error)) return false;

    Scratch<int32_t> group(nK);
    if (m_hasGIdx) {
        const Tensor& g = component(3);
        if (!readRect(g, m_cols * 4, 0, 1, k0 * 4, nK * 4, reinterpret_cast<char*>(group.data()),
                      error))
            return false;
        for (int64_t k = 0; k < nK; ++k)
            if (group[k] < 0 || group[k] >= m_groups) {
                *error = QStringLiteral("%1[%2] = %3 is outside the %4 groups of %5")
                             .arg(g.name)
                             .arg(k0 + k)
                             .arg(group[k])
                             .arg(m_groups)
                             .arg(component(2).name);
                return false;
            }
    } else {
        for (int64_t k = 0; k < nK; ++k)
            group[k] = m_groupedAll ? 0 : int32_t((k0 + k) / m_group);
    }
    const auto [lo, hi] = std::minmax_element(group.data(), group.data() + nK);
    const int64_t g0 = *lo, nG = *hi - *lo + 1;
    for (int64_t k = 0; k < nK; ++k)
        group[k] -= int32_t(g0);

    Scratch<float> scale(nG * nN);
    if (!readFloatRect(component(2), N, g0, nG, n0, nN, scale.data(), error)) return false;
    const int64_t zw0 = n0 * b / 32, nZw = ((n0 + nN) * b + 31) / 32 - zw0;
    Scratch<uint32_t> zw(nG * nZw);
    if (!readWordRect(component(1), m_zeroWords, g0, nG, zw0, nZw, zw.data(), error)) return false;
    const int add = m_zeroMinusOne ? 1 : 0;

    // Outputs in blocks of 16 (a cache line of qweight words): each block's columns
    // are copied out once, then each output decodes its inputs from its own column.
    constexpr int64_t kBlock = 16;
    const int64_t stride = nW + 1; // one zero word past the end for straddling fields
    Scratch<uint32_t> cols(kBlock * stride);
    Scratch<float> s(nG);
    Scratch<int32_t> z(nG);
    const int64_t bit0 = k0 * b - w0 * 32;
    for (int64_t nb = 0; nb < nN; nb += kBlock) {
        const int64_t m = std::min(kBlock, nN - nb);
        for (int64_t w = 0; w < nW; ++w) {
            const uint32_t* src = q.data() + w * nN + nb;
            for (int64_t j = 0; j < m; ++j)
                cols[j * stride + w] = src[j];
        }
        for (int64_t j = 0; j < m; ++j) {
            const int64_t n = nb + j;
            const uint32_t* col = cols.data() + j * stride;
            cols[j * stride + nW] = 0;
            for (int64_t g = 0; g < nG; ++g) {
                s[g] = scale[g * nN + n];
                z[g] =
                    int32_t(fieldInRow(zw.data() + g * nZw, nZw, (n0 + n) * b - zw0 * 32, b)) + add;
            }
            float* out = dst + n * nK;
            for (int64_t k = 0; k < nK; ++k) {
                const int32_t v = int32_t(bitField(col, bit0 + k * b, b));
                const int32_t g = group[k];
                out[k] = s[g] * float(v - z[g]);
            }
        }
    }
    return true;
}

AwqEncoding::AwqEncoding(TensorPtr qweight, TensorPtr qzeros, TensorPtr scales, int64_t groupSize,
                         int64_t out, int64_t in)
    : LayerEncoding(out, in, {qweight, qzeros, scales}), m_group(groupSize) {}

QString AwqEncoding::typeName() const {
    return QStringLiteral("awq int4 (g%1)").arg(m_group);
}

QString AwqEncoding::description() const {
    const Tensor& q = component(0);
    const Tensor& z = component(1);
    const Tensor& s = component(2);
    const double bits = 4.0 + (dtypeSize(s.dtype) * 8.0 + 4.0) / double(m_group);
    return QStringLiteral("4-bit integers packed 8 per int32 along the outputs in AWQ's order "
                          "(nibble i of word c holds column 8c + [0,2,4,6,1,3,5,7][i]) (%1 %2), "
                          "zero points packed the same way (%3 %4) and %5 scales (%6 %7) per "
                          "group of %8 inputs; %9 bits per weight")
               .arg(q.name, q.shapeString(), z.name, z.shapeString(), dtypeName(s.dtype), s.name,
                    s.shapeString())
               .arg(m_group)
               .arg(bitsText(bits)) +
           originText();
}

QString AwqEncoding::readOnlyReason() const {
    return QStringLiteral("AWQ-packed weights cannot be edited yet");
}

int64_t AwqEncoding::chunkRows() const {
    return std::max<int64_t>(1, kChunkPackedBytes / std::max<int64_t>(1, m_cols / 2));
}

bool AwqEncoding::decodeRect(int64_t n0, int64_t nN, int64_t k0, int64_t nK, float* dst,
                             QString* error) const {
    static const int nibble[8] = {0, 4, 1, 5, 2, 6, 3, 7}; // column 8c + j -> nibble
    const int64_t N = m_rows, rowWords = N / 8;
    const int64_t c0 = n0 / 8, nC = (n0 + nN - 1) / 8 - c0 + 1;
    Scratch<uint32_t> q(nK * nC);
    if (!readWordRect(component(0), rowWords, k0, nK, c0, nC, q.data(), error)) return false;
    const int64_t g0 = k0 / m_group, nG = (k0 + nK - 1) / m_group - g0 + 1;
    Scratch<uint32_t> zw(nG * nC);
    if (!readWordRect(component(1), rowWords, g0, nG, c0, nC, zw.data(), error)) return false;
    Scratch<float> scale(nG * nN);
    if (!readFloatRect(component(2), N, g0, nG, n0, nN, scale.data(), error)) return false;
    Scratch<int32_t> group(nK);
    for (int64_t k = 0; k < nK; ++k)
        group[k] = int32_t((k0 + k) / m_group - g0);

    // Word columns in blocks of 16 (a cache line of a qweight row): copied out once,
    // then each word column decodes its 8 outputs.
    constexpr int64_t kBlock = 16;
    Scratch<uint32_t> cols(kBlock * nK);
    Scratch<float> s(nG);
    Scratch<int32_t> z(nG);
    for (int64_t cb = 0; cb < nC; cb += kBlock) {
        const int64_t m = std::min(kBlock, nC - cb);
        for (int64_t k = 0; k < nK; ++k) {
            const uint32_t* src = q.data() + k * nC + cb;
            for (int64_t j = 0; j < m; ++j)
                cols[j * nK + k] = src[j];
        }
        for (int64_t j = 0; j < m; ++j) {
            const int64_t c = cb + j;
            const uint32_t* col = cols.data() + j * nK;
            const int64_t first = std::max(n0, (c0 + c) * 8);
            const int64_t end = std::min(n0 + nN, (c0 + c + 1) * 8);
            for (int64_t n = first; n < end; ++n) {
                const int shift = 4 * nibble[n % 8];
                for (int64_t g = 0; g < nG; ++g) {
                    s[g] = scale[g * nN + n - n0];
                    z[g] = int32_t((zw[g * nC + c] >> shift) & 15);
                }
                float* out = dst + (n - n0) * nK;
                for (int64_t k = 0; k < nK; ++k) {
                    const int32_t v = int32_t((col[k] >> shift) & 15);
                    const int32_t g = group[k];
                    out[k] = float(v - z[g]) * s[g];
                }
            }
        }
    }
    return true;
}

} // namespace ws::quant
