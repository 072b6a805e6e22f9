// Slice and mosaic views of n-D tensors and the controls that choose them.
#include "SliceControls.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <algorithm>
#include <cmath>
#include <limits>

namespace ws {

namespace {

std::vector<int64_t> cStrides(const std::vector<int64_t>& shape) {
    std::vector<int64_t> s(shape.size(), 1);
    for (int d = int(shape.size()) - 2; d >= 0; --d)
        s[size_t(d)] = s[size_t(d) + 1] * shape[size_t(d) + 1];
    return s;
}

int64_t dimOf(const std::vector<int64_t>& shape, int d) {
    return d >= 0 && d < int(shape.size()) ? std::max<int64_t>(shape[size_t(d)], 1) : 1;
}

} // namespace

void SliceSpec::viewSize(const std::vector<int64_t>& shape, int64_t* rows, int64_t* cols) const {
    const int rank = int(shape.size());
    if (mode == Mode::Mosaic && rank == 4) {
        *rows = shape[0] * (shape[2] + 1) - 1;
        *cols = shape[1] * (shape[3] + 1) - 1;
    } else if (mode == Mode::Slice && rank > 2) {
        *rows = dimOf(shape, rowAxis);
        *cols = dimOf(shape, colAxis);
    } else {
        *rows = rank >= 2 ? shape[0] : 1;
        int64_t c = 1;
        for (int d = rank >= 2 ? 1 : 0; d < rank; ++d)
            c *= shape[size_t(d)];
        *cols = c;
    }
}

int64_t SliceSpec::flatIndex(const std::vector<int64_t>& shape, int64_t row, int64_t col) const {
    const int rank = int(shape.size());
    const std::vector<int64_t> st = cStrides(shape);
    if (mode == Mode::Mosaic && rank == 4) {
        const int64_t kh = shape[2], kw = shape[3];
        const int64_t o = row / (kh + 1), a = row % (kh + 1);
        const int64_t i = col / (kw + 1), b = col % (kw + 1);
        if (a == kh || b == kw) return -1;
        return o * st[0] + i * st[1] + a * st[2] + b * st[3];
    }
    if (mode == Mode::Slice && rank > 2) {
        int64_t flat = 0;
        for (int d = 0; d < rank; ++d) {
            const int64_t i = d == rowAxis   ? row
                              : d == colAxis ? col
                                             : (size_t(d) < index.size() ? index[size_t(d)] : 0);
            flat += i * st[size_t(d)];
        }
        return flat;
    }
    int64_t rows = 0, cols = 0;
    viewSize(shape, &rows, &cols);
    return row * cols + col;
}

bool SliceSpec::cellOf(const std::vector<int64_t>& shape, int64_t flat, int64_t* row,
                       int64_t* col) const {
    const int rank = int(shape.size());
    std::vector<int64_t> idx(size_t(rank), 0);
    int64_t rest = flat;
    for (int d = rank - 1; d >= 0; --d) {
        const int64_t n = std::max<int64_t>(shape[size_t(d)], 1);
        idx[size_t(d)] = rest % n;
        rest /= n;
    }
    if (mode == Mode::Mosaic && rank == 4) {
        *row = idx[0] * (shape[2] + 1) + idx[2];
        *col = idx[1] * (shape[3] + 1) + idx[3];
        return true;
    }
    if (mode == Mode::Slice && rank > 2) {
        for (int d = 0; d < rank; ++d)
            if (d != rowAxis && d != colAxis &&
                idx[size_t(d)] != (size_t(d) < index.size() ? index[size_t(d)] : 0))
                return false;
        *row = idx[size_t(rowAxis)];
        *col = idx[size_t(colAxis)];
        return true;
    }
    int64_t rows = 0, cols = 0;
    viewSize(shape, &rows, &cols);
    *row = cols > 0 ? flat / cols : 0;
    *col = cols > 0 ? flat % cols : 0;
    return true;
}

void SliceSpec::gather(const std::vector<int64_t>& shape, const float* flat, MatrixF* out) const {
    int64_t rows = 0, cols = 0;
    viewSize(shape, &rows, &cols);
    out->resize(Eigen::Index(rows), Eigen::Index(cols));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
            const int64_t f = flatIndex(shape, r, c);
            (*out)(Eigen::Index(r), Eigen::Index(c)) =
                f < 0 ? std::numeric_limits<float>::quiet_NaN() : flat[f];
        }
}

SliceControls::SliceControls(QWidget* parent) : QWidget(parent) {
    auto* outer = new QHBoxLayout(this);
    outer->setContentsMargins(6, 2, 6, 2);
    m_partBox = new QWidget(this);
    auto* pl = new QHBoxLayout(m_partBox);
    pl->setContentsMargins(0, 0, 0, 0);
    pl->addWidget(new QLabel(tr("Complex:"), m_partBox));
    m_part = new QComboBox(m_partBox);
    m_part->setObjectName(QStringLiteral("complexPart"));
    m_part->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    for (ComplexPart p :
         {ComplexPart::Real, ComplexPart::Imaginary, ComplexPart::Magnitude, ComplexPart::Phase})
        m_part->addItem(complexPartTitle(p));
    m_part->setToolTip(tr("Which value of the complex elements the heatmap shows: real part, "
                          "imaginary part, magnitude |z| or phase arg z in radians.\n"
                          "Hover and the cell table show the exact a+bj value."));
    pl->addWidget(m_part);
    outer->addWidget(m_partBox);
    m_sliceBox = new QWidget(this);
    auto* layout = new QHBoxLayout(m_sliceBox);
    layout->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_sliceBox, 1);
    outer->addStretch(); // the complex part alone stays at the left
    layout->addWidget(new QLabel(tr("View:"), this));
    m_mode = new QComboBox(this);
    m_mode->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_mode->addItem(tr("Flattened"));
    m_mode->addItem(tr("Slice"));
    m_mode->addItem(tr("Mosaic"));
    m_mode->setToolTip(tr("Flattened: dim 0 × all other dims.\n"
                          "Slice: two dims, the others at the sliders' indices "
                          "(Shift+drag selects cells to edit).\n"
                          "Mosaic: every kernel of a conv weight side by side (view only)."));
    layout->addWidget(m_mode);
    layout->addWidget(new QLabel(tr("Rows:"), this));
    m_rows = new QComboBox(this);
    layout->addWidget(m_rows);
    layout->addWidget(new QLabel(tr("Columns:"), this));
    m_cols = new QComboBox(this);
    layout->addWidget(m_cols);
    m_sliders = new QWidget(this);
    auto* sl = new QHBoxLayout(m_sliders);
    sl->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_sliders, 1);
    auto onCombo = [this] {
        if (m_updating) return;
        SliceSpec s = m_spec;
        s.mode = SliceSpec::Mode(m_mode->currentIndex());
        s.rowAxis = m_rows->currentIndex();
        s.colAxis = m_cols->currentIndex();
        if (s.rowAxis == s.colAxis) // swap rather than show an axis twice
            s.colAxis = m_spec.rowAxis == s.rowAxis ? m_spec.colAxis : m_spec.rowAxis;
        setSpec(s);
        Q_EMIT changed();
    };
    connect(m_mode, &QComboBox::currentIndexChanged, this, onCombo);
    connect(m_rows, &QComboBox::currentIndexChanged, this, onCombo);
    connect(m_cols, &QComboBox::currentIndexChanged, this, onCombo);
    connect(m_part, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (m_updating) return;
        m_spec.part = ComplexPart(i);
        Q_EMIT changed();
    });
}

void SliceControls::setShape(const std::vector<int64_t>& shape, bool complex) {
    if (shape == m_shape && complex == m_complex) return;
    const ComplexPart part = m_spec.part;
    m_complex = complex;
    m_shape = shape;
    m_spec = SliceSpec();
    m_spec.part = part;
    m_spec.rowAxis = 0;
    m_spec.colAxis = int(shape.size()) - 1;
    m_spec.index.assign(shape.size(), 0);
    rebuild();
}

void SliceControls::setSpec(const SliceSpec& spec) {
    const int rank = int(m_shape.size());
    m_spec = spec;
    m_spec.rowAxis = std::clamp(spec.rowAxis, 0, std::max(0, rank - 1));
    m_spec.colAxis = std::clamp(spec.colAxis, 0, std::max(0, rank - 1));
    if (m_spec.mode == SliceSpec::Mode::Mosaic && rank != 4)
        m_spec.mode = SliceSpec::Mode::Flattened;
    m_spec.index.resize(size_t(rank), 0);
    for (int d = 0; d < rank; ++d)
        m_spec.index[size_t(d)] = std::clamp<int64_t>(m_spec.index[size_t(d)], 0,
                                                      std::max<int64_t>(m_shape[size_t(d)] - 1, 0));
    rebuild();
}

void SliceControls::rebuild() {
    m_updating = true;
    const int rank = int(m_shape.size());
    m_partBox->setVisible(m_complex);
    m_part->setCurrentIndex(int(m_spec.part));
    m_sliceBox->setVisible(rank > 2);
    m_mode->setCurrentIndex(int(m_spec.mode));
    m_rows->clear();
    m_cols->clear();
    for (int d = 0; d < rank; ++d) {
        const QString text = tr("dim %1 (%2)").arg(d).arg(m_shape[size_t(d)]);
        m_rows->addItem(text);
        m_cols->addItem(text);
    }
    m_rows->setCurrentIndex(m_spec.rowAxis);
    m_cols->setCurrentIndex(m_spec.colAxis);
    const bool slice = m_spec.mode == SliceSpec::Mode::Slice;
    m_rows->setEnabled(slice);
    m_cols->setEnabled(slice);
    QLayout* sl = m_sliders->layout();
    while (QLayoutItem* item = sl->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    if (slice) {
        for (int d = 0; d < rank; ++d) {
            if (d == m_spec.rowAxis || d == m_spec.colAxis) continue;
            auto* label =
                new QLabel(tr("dim %1: %2").arg(d).arg(m_spec.index[size_t(d)]), m_sliders);
            auto* slider = new QSlider(Qt::Horizontal, m_sliders);
            slider->setObjectName(QStringLiteral("dim%1").arg(d));
            slider->setRange(0, int(std::max<int64_t>(m_shape[size_t(d)] - 1, 0)));
            slider->setValue(int(m_spec.index[size_t(d)]));
            slider->setMinimumWidth(80);
            sl->addWidget(label);
            sl->addWidget(slider);
            connect(slider, &QSlider::valueChanged, this, [this, d, label](int v) {
                m_spec.index[size_t(d)] = v;
                label->setText(tr("dim %1: %2").arg(d).arg(v));
                Q_EMIT changed();
            });
        }
    }
    m_updating = false;
}

} // namespace ws
