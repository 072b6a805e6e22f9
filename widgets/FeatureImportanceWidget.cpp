// Column and row norms of a weight matrix (ws::columnNorms / ws::rowNorms) as bars.
#include "FeatureImportanceWidget.h"

#include "Analysis.h"
#include "PlotStyle.h"

#include <QCheckBox>
#include <QVBoxLayout>
#include <algorithm>
#include <functional>
#include <qcustomplot.h>

namespace ws {

namespace {

QCustomPlot* makePlot(QWidget* parent, const QString& x) {
    auto* plot = new QCustomPlot(parent);
    applyPlotStyle(plot);
    auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
    bars->setPen(Qt::NoPen);
    bars->setBrush(QColor(70, 130, 200));
    bars->setWidth(0.9);
    plot->xAxis->setLabel(x);
    plot->yAxis->setLabel(QObject::tr("L2 norm"));
    plot->setMinimumSize(200, 90);
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot->axisRect()->setRangeZoom(Qt::Horizontal);
    plot->axisRect()->setRangeDrag(Qt::Horizontal);
    return plot;
}

void fill(QCustomPlot* plot, const std::vector<double>& v, bool sorted) {
    auto* bars = qobject_cast<QCPBars*>(plot->plottable(0));
    std::vector<double> y = v;
    if (sorted) std::sort(y.begin(), y.end(), std::greater<double>());
    QVector<double> keys, values;
    double top = 0;
    for (size_t i = 0; i < y.size(); ++i) {
        keys << double(i);
        values << y[i];
        top = std::max(top, y[i]);
    }
    bars->setData(keys, values, true);
    plot->xAxis->setRange(-0.5, std::max(1.0, double(y.size()) - 0.5));
    plot->yAxis->setRange(0, top > 0 ? top * 1.05 : 1);
    plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace

FeatureImportanceWidget::FeatureImportanceWidget(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_sort = new QCheckBox(tr("Sort by norm (largest first)"), this);
    layout->addWidget(m_sort);
    m_inPlot = makePlot(this, tr("input feature (column)"));
    m_outPlot = makePlot(this, tr("output feature (row)"));
    layout->addWidget(m_inPlot, 1);
    layout->addWidget(m_outPlot, 1);
    connect(m_sort, &QCheckBox::toggled, this, [this] { redraw(); });
}

void FeatureImportanceWidget::setMatrix(const MatrixF& m) {
    m_cols = columnNorms(m);
    m_rows = rowNorms(m);
    redraw();
}

void FeatureImportanceWidget::setNorms(std::vector<double> inputs, std::vector<double> outputs) {
    m_cols = std::move(inputs);
    m_rows = std::move(outputs);
    redraw();
}

void FeatureImportanceWidget::clear() {
    m_cols.clear();
    m_rows.clear();
    redraw();
}

void FeatureImportanceWidget::setSorted(bool on) {
    m_sort->setChecked(on);
}

void FeatureImportanceWidget::redraw() {
    fill(m_inPlot, m_cols, m_sort->isChecked());
    fill(m_outPlot, m_rows, m_sort->isChecked());
}

} // namespace ws
