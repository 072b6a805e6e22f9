// The base of every quantized-layer decoder: a logical [out, in] float32 weight
// computed from stored component tensors (qweight, scales, ...), which it keeps.
// It splits a request for logical elements into rectangles (a partial row, whole
// rows in bounded chunks) so that each format reads its components once per
// rectangle, whatever their layout.
#pragma once

#include "Tensor.h"
#include "TensorEncoding.h"

#include <QString>
#include <QStringList>
#include <vector>

namespace ws::quant {

class LayerEncoding : public TensorEncoding {
public:
    /// A [rows, cols] logical weight computed from \a components (the first is the
    /// main one, whose storage the logical tensor names).
    LayerEncoding(int64_t rows, int64_t cols, std::vector<TensorPtr> components);

    QString validate(const Tensor& t) const override;
    bool decode(const Tensor& t, int64_t first, int64_t count, float* dst,
                QString* error) const override;
    QStringList sources() const override;
    int64_t rows() const { return m_rows; }
    int64_t cols() const { return m_cols; }
    /// Where the layout came from ("layout from config.json"), ending description().
    void setOrigin(QString origin) { m_origin = std::move(origin); }
    /// The first component, whose storage the logical tensor names.
    const TensorPtr& mainComponent() const { return m_components.front(); }

protected:
    /// Whole rows one rectangle covers at most: by default about a million elements;
    /// layouts stored transposed (GPTQ, AWQ) read every stored row for any logical
    /// row, so they take as many rows as a budget of packed bytes allows.
    virtual int64_t chunkRows() const;
    /// Decodes rows [r0, r0 + nRows) x columns [c0, c0 + nCols) into \a dst (nRows x
    /// nCols, row-major). The rectangle lies inside the logical shape.
    virtual bool decodeRect(int64_t r0, int64_t nRows, int64_t c0, int64_t nCols, float* dst,
                            QString* error) const = 0;
    const Tensor& component(size_t i) const { return *m_components[i]; }

    /// "; layout from config.json" for the end of a description, or empty.
    QString originText() const;

    int64_t m_rows, m_cols;
    std::vector<TensorPtr> m_components;
    QString m_origin;
};

/// "4.625" for a bits-per-weight figure.
QString bitsText(double bitsPerWeight);

} // namespace ws::quant
