// Chooses the right view for a tensor's rank.
#include "TensorView.h"

#include "BarChartWidget.h"
#include "HeatmapWidget.h"
#include "ScalarView.h"

#include <QEvent>
#include <cmath>

namespace ws {

TensorView::TensorView(QWidget* parent) : QStackedWidget(parent) {
    m_message = new QLabel(this);
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setWordWrap(true);
    m_message->setMargin(24);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_heatmap = new HeatmapWidget(this);
    m_bars = new BarChartWidget(this);
    m_scalar = new ScalarView(this);
    addWidget(m_message);
    addWidget(m_heatmap);
    addWidget(m_bars);
    addWidget(m_scalar);
    connect(m_heatmap, &HeatmapWidget::hoverText, this, &TensorView::hoverText);
    connect(m_bars, &BarChartWidget::hoverText, this, &TensorView::hoverText);
    // The slice controls sit over the top of the heatmap, which leaves room for them.
    m_slice = new SliceControls(m_heatmap);
    m_slice->setAutoFillBackground(true);
    m_slice->hide();
    m_heatmap->installEventFilter(this);
    connect(m_slice, &SliceControls::changed, this, [this] { showHeatmap(true); });
    clear();
}

namespace {

/// 1-D tensors are drawn as bars from their values in memory up to this many elements.
constexpr int64_t kMaxBars = int64_t(64) << 20;

} // namespace

void TensorView::setTensor(TensorPtr tensor) {
    display(std::move(tensor), nullptr, nullptr);
}

void TensorView::setDifference(TensorPtr tensor, TensorPtr original) {
    display(std::move(tensor), std::move(original), nullptr);
}

void TensorView::showValues(TensorPtr tensor, std::shared_ptr<const MatrixF> values) {
    display(std::move(tensor), nullptr, std::move(values));
}

void TensorView::display(TensorPtr tensor, TensorPtr original,
                         std::shared_ptr<const MatrixF> values) {
    m_tensor = tensor;
    m_original = std::move(original);
    m_values = std::move(values);
    if (!tensor) {
        clear();
        return;
    }
    QString error;
    if (!tensor->check(&error)) {
        showMessage(tr("Cannot show %1:\n%2").arg(tensor->name, error));
        m_tensor = tensor;
        return;
    }
    if (tensor->numel() == 0) {
        showMessage(tr("%1 is empty (shape %2).").arg(tensor->name, tensor->shapeString()));
        m_tensor = tensor;
        return;
    }
    // Only the page in use keeps anything (bars hold a 1-D tensor's values).
    if (tensor->rank() < 2) m_heatmap->clear();
    if (tensor->rank() != 1) m_bars->clear();
    if (tensor->rank() <= 1) {
        auto small = std::make_shared<MatrixF>();
        if (!smallValues(small.get(), &error)) {
            showMessage(tr("Cannot show %1:\n%2").arg(tensor->name, error));
            m_tensor = tensor;
            return;
        }
        if (tensor->rank() == 0) {
            m_scalar->setValue(!m_diff && !m_values ? tensor->at(0) : double((*small)(0, 0)),
                               tensor);
            setCurrentWidget(m_scalar);
        } else {
            m_bars->setValues(std::move(small), tensor);
            setCurrentWidget(m_bars);
        }
        return;
    }
    m_slice->setShape(tensor->shape, isComplex(tensor->dtype));
    showHeatmap(true);
    setCurrentWidget(m_heatmap);
}

bool TensorView::smallValues(MatrixF* out, QString* error) const {
    if (m_values) {
        *out = *m_values;
        return true;
    }
    if (m_tensor->numel() > kMaxBars) {
        *error = tr("%1 values are too many to draw as bars").arg(m_tensor->numel());
        return false;
    }
    if (!m_tensor->values(out, error)) return false;
    if (m_original) {
        MatrixF orig;
        if (!m_original->values(&orig, error)) return false;
        if (orig.rows() == out->rows() && orig.cols() == out->cols()) *out -= orig;
    }
    return true;
}

bool TensorView::isSliced() const {
    return m_tensor && m_tensor->rank() > 2 && m_slice->spec().mode != SliceSpec::Mode::Flattened;
}

TensorPtr TensorView::shown(const TensorPtr& t) const {
    if (!t || !isComplex(t->dtype) || m_slice->spec().part == ComplexPart::Real) return t;
    auto copy = std::make_shared<Tensor>(*t);
    copy->complexPart = m_slice->spec().part;
    return copy;
}

std::shared_ptr<const MatrixSource> TensorView::heatmapSource(QString* error) const {
    auto viewOf = [this](TensorPtr t) -> std::shared_ptr<const MatrixSource> {
        t = shown(t);
        if (!isSliced()) return tensorSource(t);
        const SliceSpec spec = m_slice->spec();
        const std::vector<int64_t> shape = m_tensor->shape;
        int64_t rows = 0, cols = 0;
        spec.viewSize(shape, &rows, &cols);
        QStringList what;
        what << QString::number(int(spec.mode)) << QString::number(spec.rowAxis)
             << QString::number(spec.colAxis);
        for (int64_t i : spec.index)
            what << QString::number(i);
        return mappedSource(
            t, rows, cols,
            [spec, shape](int64_t r, int64_t c) { return spec.flatIndex(shape, r, c); },
            what.join(QLatin1Char(',')));
    };
    if (m_values) return memorySource(m_values);
    auto current = viewOf(m_tensor);
    if (!m_original) return current;
    auto diff = differenceSource(current, viewOf(m_original));
    if (!diff && error) *error = tr("the original values of this tensor have another shape");
    return diff;
}

void TensorView::showHeatmap(bool reset) {
    if (!m_tensor || m_tensor->rank() < 2) return;
    m_slice->setVisible(m_slice->hasChoices());
    placeSliceControls();
    if (!reset) {
        m_heatmap->refreshValues();
        return;
    }
    QString error;
    const auto source = heatmapSource(&error);
    if (!source || !m_heatmap->setSource(source, m_tensor, &error)) {
        showMessage(tr("Cannot show %1:\n%2").arg(m_tensor->name, error));
        return;
    }
    // a complex tensor's title says which part is shown
    const QString part = isComplex(m_tensor->dtype)
                             ? QStringLiteral("   [%1]").arg(complexPartTitle(m_slice->spec().part))
                             : QString();
    if (!part.isEmpty() && !isSliced())
        m_heatmap->setTitle(QStringLiteral("%1   %2 %3%4%5")
                                .arg(m_tensor->name, m_tensor->shapeString(), m_tensor->typeName(),
                                     part,
                                     m_original ? tr("   — difference from original") : QString()));
    if (!isSliced()) return;
    const SliceSpec spec = m_slice->spec();
    const std::vector<int64_t> shape = m_tensor->shape;
    m_heatmap->setFlatIndexMapper(
        [spec, shape](int64_t r, int64_t c) { return spec.flatIndex(shape, r, c); });
    const bool conv = m_tensor->rank() == 4;
    if (spec.mode == SliceSpec::Mode::Mosaic) {
        m_heatmap->setNanColor(qRgb(255, 255, 255)); // the gaps between kernels
        m_heatmap->setAxisTitles(tr("input channel × kernel column (dims 1, 3)"),
                                 tr("output channel × kernel row (dims 0, 2)"));
    } else {
        static const char* const convNames[] = {"output channels", "input channels", "kernel rows",
                                                "kernel columns"};
        const auto name = [&](int d) {
            return conv ? tr("%1 (dim %2)").arg(tr(convNames[d])).arg(d) : tr("dim %1").arg(d);
        };
        QStringList fixed;
        for (int d = 0; d < m_tensor->rank(); ++d)
            if (d != spec.rowAxis && d != spec.colAxis)
                fixed << QStringLiteral("%1=%2").arg(d).arg(spec.index[size_t(d)]);
        m_heatmap->setAxisTitles(name(spec.colAxis), name(spec.rowAxis));
        m_heatmap->setTitle(QStringLiteral("%1   %2   [slice: dims %3]%4")
                                .arg(m_tensor->name, m_tensor->shapeString(),
                                     fixed.join(QLatin1String(", ")), part));
    }
}

void TensorView::placeSliceControls() {
    const int h = !m_slice->isHidden() ? m_slice->sizeHint().height() : 0;
    m_slice->setGeometry(0, 0, m_heatmap->width(), h);
    m_heatmap->plotLayout()->setAutoMargins(QCP::msNone);
    m_heatmap->plotLayout()->setMargins(QMargins(0, h, 0, 0));
    m_heatmap->replot(QCustomPlot::rpQueuedReplot);
}

bool TensorView::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_heatmap && event->type() == QEvent::Resize && !m_slice->isHidden())
        m_slice->setGeometry(0, 0, m_heatmap->width(), m_slice->sizeHint().height());
    return QStackedWidget::eventFilter(watched, event);
}

bool TensorView::toMatrixCell(int64_t row, int64_t col, int64_t* mRow, int64_t* mCol) const {
    if (!isSliced()) {
        *mRow = row;
        *mCol = col;
        return true;
    }
    const int64_t flat = m_slice->spec().flatIndex(m_tensor->shape, row, col);
    const int64_t cols = m_tensor->cols();
    if (flat < 0 || cols == 0) return false;
    *mRow = flat / cols;
    *mCol = flat % cols;
    return true;
}

bool TensorView::fromMatrixCell(int64_t mRow, int64_t mCol, int64_t* row, int64_t* col) const {
    if (!isSliced()) {
        *row = mRow;
        *col = mCol;
        return true;
    }
    if (!m_tensor) return false;
    return m_slice->spec().cellOf(m_tensor->shape, mRow * m_tensor->cols() + mCol, row, col);
}

void TensorView::refreshValues() {
    if (currentWidget() == m_heatmap && isSliced())
        showHeatmap(false);
    else if (currentWidget() == m_heatmap)
        m_heatmap->refreshValues();
    if ((currentWidget() == m_bars || currentWidget() == m_scalar) && m_tensor) {
        auto small = std::make_shared<MatrixF>();
        QString error;
        if (!smallValues(small.get(), &error)) return;
        if (currentWidget() == m_bars)
            m_bars->updateValues(std::move(small));
        else
            m_scalar->setValue(!m_original && !m_values ? m_tensor->at(0) : double((*small)(0, 0)),
                               m_tensor);
    }
}

void TensorView::refreshValues(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols) {
    if (currentWidget() == m_heatmap && !isSliced())
        m_heatmap->refreshValues(row0, col0, nRows, nCols);
    else
        refreshValues();
}

void TensorView::setDifferenceMode(bool on) {
    m_diff = on;
    m_heatmap->setDifferenceMode(on);
    m_bars->setDifferenceMode(on);
}

void TensorView::showMessage(const QString& text) {
    m_slice->hide();
    m_heatmap->clear();
    m_bars->clear();
    m_message->setText(text);
    setCurrentWidget(m_message);
}

void TensorView::clear() {
    m_tensor.reset();
    m_original.reset();
    m_values.reset();
    showMessage(tr("Open a weight file and select a tensor in the layer tree."));
}

void TensorView::resetView() {
    if (currentWidget() == m_heatmap) m_heatmap->resetView();
    if (currentWidget() == m_bars) m_bars->resetView();
}

} // namespace ws
