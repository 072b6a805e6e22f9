// Bar chart of a 1-D tensor with max-magnitude pooling for long vectors.
#include "BarChartWidget.h"

#include "Document.h"
#include "PlotStyle.h"

#include <algorithm>
#include <cmath>

namespace ws {

BarChartWidget::BarChartWidget(QWidget* parent) : QCustomPlot(parent) {
    applyPlotStyle(this);
    m_title = addPlotTitle(this);

    m_bars = new QCPBars(xAxis, yAxis);
    m_bars->setWidthType(QCPBars::wtPlotCoords);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(QColor(49, 109, 170));
    xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new IndexTicker));
    xAxis->setLabel(tr("index"));
    yAxis->setLabel(tr("value"));
    xAxis->grid()->setVisible(false);
    yAxis->grid()->setZeroLinePen(QPen(Qt::darkGray));
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    axisRect()->setRangeDrag(Qt::Horizontal);
    axisRect()->setRangeZoom(Qt::Horizontal);
    setMouseTracking(true);

    m_timer.setSingleShot(true);
    m_timer.setInterval(0);
    m_selectionItem = new QCPItemRect(this);
    m_selectionItem->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
    m_selectionItem->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
    QPen dashed(QColor(20, 20, 20), 1.5, Qt::DashLine);
    dashed.setCosmetic(true);
    m_selectionItem->setPen(dashed);
    m_selectionItem->setBrush(QColor(255, 180, 0, 50));
    m_selectionItem->setSelectable(false);
    m_selectionItem->setVisible(false);

    connect(&m_timer, &QTimer::timeout, this, &BarChartWidget::updateBars);
    connect(xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this] {
        clampRange();
        if (m_values) m_timer.start();
    });
}

void BarChartWidget::setValues(std::shared_ptr<const MatrixF> values, TensorPtr tensor) {
    m_values = std::move(values);
    m_tensor = std::move(tensor);
    if (!m_values || m_values->size() == 0) {
        clear();
        return;
    }
    fitValueAxis();
    setTitle(m_tensor ? QStringLiteral("%1   %2 %3%4")
                            .arg(m_tensor->name, m_tensor->shapeString(), m_tensor->typeName(),
                                 m_diff ? tr("   — difference from original") : QString())
                      : QString());
    m_selectionItem->setVisible(false);
    m_bars->setVisible(true);
    resetView();
    updateBars();
}

void BarChartWidget::fitValueAxis() {
    double lo = 0, hi = 0;
    const float* p = m_values->data();
    for (Eigen::Index i = 0; i < m_values->size(); ++i) {
        if (!std::isfinite(p[i])) continue;
        lo = std::min(lo, double(p[i]));
        hi = std::max(hi, double(p[i]));
    }
    const double pad = hi > lo ? (hi - lo) * 0.05 : 1.0;
    yAxis->setRange(lo < 0 ? lo - pad : 0, hi > 0 ? hi + pad : (lo < 0 ? pad : 1));
}

void BarChartWidget::updateValues(std::shared_ptr<const MatrixF> values) {
    if (!values || !m_values || values->size() != m_values->size()) {
        setValues(std::move(values), m_tensor);
        return;
    }
    m_values = std::move(values);
    refreshValues();
}

void BarChartWidget::refreshValues() {
    if (!m_values) return;
    if (m_dragIndex < 0) fitValueAxis(); // the axis stays put under a dragged bar
    updateBars();
}

void BarChartWidget::setDifferenceMode(bool on) {
    m_diff = on;
    yAxis->setLabel(on ? tr("current − original") : tr("value"));
}

void BarChartWidget::setSelectionRange(int64_t first, int64_t count) {
    m_selectionItem->topLeft->setCoords(double(first) - 0.5, 0);
    m_selectionItem->bottomRight->setCoords(double(first + count) - 0.5, 1);
    m_selectionItem->setVisible(count > 0 && m_values);
    replot(rpQueuedReplot);
}

int64_t BarChartWidget::indexAt(double x) const {
    return int64_t(std::floor(xAxis->pixelToCoord(x) + 0.5));
}

// A press grabs a bar when it is inside the bar or within a few pixels of its end,
// and bars are drawn one per element.
bool BarChartWidget::hitsBar(const QPointF& pos, int64_t* index) const {
    if (!m_values || !m_grid.exact || !axisRect()->rect().contains(pos.toPoint())) return false;
    const int64_t i = indexAt(pos.x());
    if (i < 0 || i >= m_values->size()) return false;
    const double v = (*m_values)(0, Eigen::Index(i));
    const double yv = yAxis->coordToPixel(v), y0 = yAxis->coordToPixel(0);
    const double top = std::min(yv, y0) - 6, bottom = std::max(yv, y0) + 6;
    if (pos.y() < top || pos.y() > bottom) return false;
    *index = i;
    return true;
}

void BarChartWidget::mousePressEvent(QMouseEvent* event) {
    const QPointF p = event->position();
    if (event->button() == Qt::LeftButton && m_values && axisRect()->rect().contains(p.toPoint())) {
        if (event->modifiers() & Qt::ShiftModifier) {
            m_banding = true;
            m_bandStart = m_bandEnd = indexAt(p.x());
            event->accept();
            return;
        }
        int64_t i = -1;
        if (m_editable && !m_diff && hitsBar(p, &i)) {
            m_dragIndex = i;
            m_dragKey = Document::newGestureKey();
            event->accept();
            return;
        }
    }
    QCustomPlot::mousePressEvent(event);
}

void BarChartWidget::mouseReleaseEvent(QMouseEvent* event) {
    if (m_banding || m_dragIndex >= 0) {
        if (m_banding) {
            m_bandEnd = indexAt(event->position().x());
            const int64_t n = m_values ? m_values->size() : 0;
            const int64_t a = std::clamp<int64_t>(std::min(m_bandStart, m_bandEnd), 0, n);
            const int64_t b = std::clamp<int64_t>(std::max(m_bandStart, m_bandEnd) + 1, 0, n);
            m_banding = false;
            setSelectionRange(a, b - a);
            Q_EMIT rangeSelected(a, b - a);
        }
        if (m_dragIndex >= 0) {
            m_dragIndex = -1;
            refreshValues();
        }
        event->accept();
        return;
    }
    QCustomPlot::mouseReleaseEvent(event);
}

void BarChartWidget::clear() {
    m_values.reset();
    m_tensor.reset();
    m_grid = PooledGrid();
    m_bars->data()->clear();
    m_selectionItem->setVisible(false);
    setTitle(QString());
    replot(rpQueuedReplot);
}

void BarChartWidget::setTitle(const QString& title) {
    m_title->setText(title);
    m_title->setVisible(!title.isEmpty());
}

void BarChartWidget::resetView() {
    if (!m_values) return;
    m_clamping = true;
    xAxis->setRange(-0.5, double(m_values->size()) - 0.5);
    m_clamping = false;
    m_timer.start();
    replot(rpQueuedReplot);
}

void BarChartWidget::clampRange() {
    if (m_clamping || !m_values) return;
    m_clamping = true;
    QCPRange r = xAxis->range();
    const double lo = -0.5, hi = double(m_values->size()) - 0.5;
    if (r.size() >= hi - lo)
        r = QCPRange(lo, hi);
    else if (r.lower < lo)
        r = QCPRange(lo, lo + r.size());
    else if (r.upper > hi)
        r = QCPRange(hi - r.size(), hi);
    if (r != xAxis->range()) xAxis->setRange(r);
    m_clamping = false;
}

void BarChartWidget::updateBars() {
    m_timer.stop();
    if (!m_values || m_values->size() == 0) return;
    const MatrixF& m = *m_values;
    const int64_t n = m.cols();
    const QCPRange xr = xAxis->range();
    const int64_t c0 = std::clamp<int64_t>(int64_t(std::floor(xr.lower + 0.5)), 0, n);
    const int64_t c1 = std::clamp<int64_t>(int64_t(std::ceil(xr.upper - 0.5)) + 1, 0, n);
    int maxBars = axisRect()->width();
    if (maxBars < 32) maxBars = width() - 80;
    maxBars = std::clamp(int(maxBars * devicePixelRatioF()), 16, 8192);
    m_grid = poolMaxMagnitude(m, 0, c0, 1, std::max<int64_t>(c1 - c0, 1), 1, maxBars);
    const int count = int(m_grid.values.cols());
    const double w = count > 0 ? double(m_grid.colCount) / count : 1.0;
    QVector<double> keys(count), vals(count);
    for (int i = 0; i < count; ++i) {
        keys[i] = double(m_grid.colStart) - 0.5 + (i + 0.5) * w;
        vals[i] = double(m_grid.values(0, i));
    }
    m_bars->setWidth(m_grid.exact ? std::min(0.8, w) : w);
    m_bars->setData(keys, vals, true);
    replot(rpQueuedReplot);
}

QString BarChartWidget::readoutAt(int64_t index) const {
    if (!m_values || index < 0 || index >= m_values->size()) return QString();
    double v = (*m_values)(0, Eigen::Index(index));
    DType dtype = m_tensor ? m_tensor->dtype : DType::Float32;
    if (m_diff) return tr("index %1: Δ %2").arg(index).arg(formatFloat(float(v)));
    if (m_tensor && m_tensor->storage && index < m_tensor->numel()) {
        const QString exact = m_tensor->elementText(index); // int64 and float64 exactly
        if (!exact.isEmpty()) return tr("index %1: %2").arg(index).arg(exact);
    }
    return tr("index %1: %2").arg(index).arg(formatValue(v, dtype));
}

void BarChartWidget::mouseMoveEvent(QMouseEvent* event) {
    const QPointF p = event->position();
    if (m_banding) {
        m_bandEnd = indexAt(p.x());
        const int64_t n = m_values ? m_values->size() : 0;
        const int64_t a = std::clamp<int64_t>(std::min(m_bandStart, m_bandEnd), 0, n);
        const int64_t b = std::clamp<int64_t>(std::max(m_bandStart, m_bandEnd) + 1, 0, n);
        setSelectionRange(a, b - a);
    } else if (m_dragIndex >= 0) {
        Q_EMIT barDragged(m_dragIndex, yAxis->pixelToCoord(p.y()), m_dragKey);
    } else {
        QCustomPlot::mouseMoveEvent(event);
    }
    QString text;
    if (m_values && axisRect()->rect().contains(p.toPoint()))
        text = readoutAt(int64_t(std::floor(xAxis->pixelToCoord(p.x()) + 0.5)));
    Q_EMIT hoverText(text);
}

void BarChartWidget::leaveEvent(QEvent* event) {
    QCustomPlot::leaveEvent(event);
    Q_EMIT hoverText(QString());
}

void BarChartWidget::resizeEvent(QResizeEvent* event) {
    QCustomPlot::resizeEvent(event);
    if (m_values) m_timer.start();
}

} // namespace ws
