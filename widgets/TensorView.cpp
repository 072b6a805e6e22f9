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

void TensorView::setTensor(TensorPtr tensor) {
    if (!tensor) {
        clear();
        return;
    }
    auto values = std::make_shared<MatrixF>();
    QString error;
    if (!tensor->values(values.get(), &error)) {
        m_tensor = tensor;
        showMessage(tr("Cannot show %1:\n%2").arg(tensor->name, error));
        return;
    }
    showValues(std::move(tensor), std::move(values));
}

void TensorView::showValues(TensorPtr tensor, std::shared_ptr<const MatrixF> values) {
    m_tensor = tensor;
    m_values = values;
    if (!tensor || !values) {
        clear();
        return;
    }
    if (tensor->numel() == 0 || values->size() == 0) {
        showMessage(tr("%1 is empty (shape %2).").arg(tensor->name, tensor->shapeString()));
        return;
    }
    // Only the page in use keeps its values (a large matrix can be hundreds of MB).
    if (tensor->rank() < 2) m_heatmap->clear();
    if (tensor->rank() != 1) m_bars->clear();
    if (tensor->rank() == 0) {
        m_scalar->setValue(!m_diff && tensor->storage && tensor->storage->isLoaded()
                               ? tensor->at(0)
                               : (*values)(0, 0),
                           tensor);
        setCurrentWidget(m_scalar);
    } else if (tensor->rank() == 1) {
        m_bars->setValues(std::move(values), tensor);
        setCurrentWidget(m_bars);
    } else {
        m_slice->setShape(tensor->shape);
        showHeatmap(true);
        setCurrentWidget(m_heatmap);
    }
}

bool TensorView::isSliced() const {
    return m_tensor && m_tensor->rank() > 2 && m_slice->spec().mode != SliceSpec::Mode::Flattened;
}

void TensorView::showHeatmap(bool reset) {
    if (!m_tensor || !m_values || m_tensor->rank() < 2) return;
    const bool slicing = m_tensor->rank() > 2;
    m_slice->setVisible(slicing);
    placeSliceControls();
    if (!isSliced()) {
        m_sliced.reset();
        if (reset) m_heatmap->setValues(m_values, m_tensor);
        return;
    }
    const SliceSpec spec = m_slice->spec();
    const std::vector<int64_t> shape = m_tensor->shape;
    if (!m_sliced || reset) m_sliced = std::make_shared<MatrixF>();
    spec.gather(shape, m_values->data(), m_sliced.get());
    // Large mosaics are pooled (NaN wins a block): there the gaps hold zero, which pooling
    // by magnitude never picks over a weight, so that the kernels stay visible.
    if (spec.mode == SliceSpec::Mode::Mosaic && std::max(m_sliced->rows(), m_sliced->cols()) > 1200)
        *m_sliced = m_sliced->unaryExpr([](float v) { return std::isnan(v) ? 0.0f : v; });
    if (!reset) {
        m_heatmap->refreshValues();
        return;
    }
    m_heatmap->setValues(m_sliced, m_tensor);
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
        m_heatmap->setTitle(
            QStringLiteral("%1   %2   [slice: dims %3]")
                .arg(m_tensor->name, m_tensor->shapeString(), fixed.join(QLatin1String(", "))));
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
    if (flat < 0 || !m_values || m_values->cols() == 0) return false;
    *mRow = flat / m_values->cols();
    *mCol = flat % m_values->cols();
    return true;
}

bool TensorView::fromMatrixCell(int64_t mRow, int64_t mCol, int64_t* row, int64_t* col) const {
    if (!isSliced()) {
        *row = mRow;
        *col = mCol;
        return true;
    }
    if (!m_values) return false;
    return m_slice->spec().cellOf(m_tensor->shape, mRow * m_values->cols() + mCol, row, col);
}

void TensorView::refreshValues() {
    if (currentWidget() == m_heatmap && isSliced())
        showHeatmap(false);
    else if (currentWidget() == m_heatmap)
        m_heatmap->refreshValues();
    if (currentWidget() == m_bars) m_bars->refreshValues();
    if (currentWidget() == m_scalar && m_tensor && m_values && m_values->size() > 0)
        m_scalar->setValue(!m_diff && m_tensor->storage && m_tensor->storage->isLoaded()
                               ? m_tensor->at(0)
                               : (*m_values)(0, 0),
                           m_tensor);
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
    m_values.reset();
    showMessage(tr("Open a weight file and select a tensor in the layer tree."));
}

void TensorView::resetView() {
    if (currentWidget() == m_heatmap) m_heatmap->resetView();
    if (currentWidget() == m_bars) m_bars->resetView();
}

} // namespace ws
