// Chooses the right view for a tensor's rank.
#include "TensorView.h"

#include "BarChartWidget.h"
#include "HeatmapWidget.h"
#include "ScalarView.h"

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
        m_heatmap->setValues(std::move(values), tensor);
        setCurrentWidget(m_heatmap);
    }
}

void TensorView::refreshValues() {
    if (currentWidget() == m_heatmap) m_heatmap->refreshValues();
    if (currentWidget() == m_bars) m_bars->refreshValues();
    if (currentWidget() == m_scalar && m_tensor && m_values && m_values->size() > 0)
        m_scalar->setValue(!m_diff && m_tensor->storage && m_tensor->storage->isLoaded()
                               ? m_tensor->at(0)
                               : (*m_values)(0, 0),
                           m_tensor);
}

void TensorView::refreshValues(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols) {
    if (currentWidget() == m_heatmap)
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
