// Splitting element ranges of a logical quantized weight into rectangles.
#include "QuantizedEncoding.h"

#include <algorithm>

namespace ws::quant {

namespace {

/// Whole rows decoded per rectangle: about this many elements (4 MB of floats).
constexpr int64_t kChunkElements = int64_t(1) << 20;

} // namespace

LayerEncoding::LayerEncoding(int64_t rows, int64_t cols, std::vector<TensorPtr> components)
    : m_rows(rows), m_cols(cols), m_components(std::move(components)) {}

QString LayerEncoding::validate(const Tensor& t) const {
    if (t.shape != std::vector<int64_t>{m_rows, m_cols})
        return QStringLiteral("tensor %1: shape %2 does not match its %3 encoding [%4, %5]")
            .arg(t.name, t.shapeString(), typeName())
            .arg(m_rows)
            .arg(m_cols);
    for (const TensorPtr& c : m_components)
        if (!c->storage) return QStringLiteral("tensor %1: %2 has no data").arg(t.name, c->name);
    return QString();
}

bool LayerEncoding::decode(const Tensor& t, int64_t first, int64_t count, float* dst,
                           QString* error) const {
    const int64_t n = m_rows * m_cols;
    if (first < 0 || count < 0 || first > n || count > n - first) {
        if (error)
            *error = QStringLiteral("tensor %1: elements %2+%3 lie outside its %4")
                         .arg(t.name)
                         .arg(first)
                         .arg(count)
                         .arg(n);
        return false;
    }
    QString err;
    const int64_t rowsPerChunk = std::max<int64_t>(1, chunkRows());
    while (count > 0) {
        const int64_t r = first / m_cols, c = first % m_cols;
        int64_t done;
        bool ok;
        if (c != 0 || count < m_cols) {
            done = std::min(m_cols - c, count);
            ok = decodeRect(r, 1, c, done, dst, &err);
        } else {
            const int64_t nRows = std::min(count / m_cols, rowsPerChunk);
            done = nRows * m_cols;
            ok = decodeRect(r, nRows, 0, m_cols, dst, &err);
        }
        if (!ok) {
            if (error) *error = QStringLiteral("tensor %1: %2").arg(t.name, err);
            return false;
        }
        first += done;
        count -= done;
        dst += done;
    }
    return true;
}

int64_t LayerEncoding::chunkRows() const {
    return kChunkElements / std::max<int64_t>(1, m_cols);
}

QStringList LayerEncoding::sources() const {
    QStringList names;
    for (const TensorPtr& c : m_components)
        names << c->name;
    return names;
}

QString LayerEncoding::originText() const {
    return m_origin.isEmpty() ? QString() : QStringLiteral("; ") + m_origin;
}

QString bitsText(double bitsPerWeight) {
    return QString::number(bitsPerWeight, 'g', 5);
}

} // namespace ws::quant
