// Value histogram through ws::histogram (numpy.histogram semantics).
#include "HistogramWidget.h"

#include "PlotStyle.h"

#include <algorithm>

namespace ws {

namespace {

/// Counts are whole numbers: ticks at multiples of 1 (then 2, 5, 10, ...), never 0.2.
/// Large counts in compact form ("2.5·10⁶").
QSharedPointer<QCPAxisTicker> countTicker() {
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    return ticker;
}

} // namespace

HistogramWidget::HistogramWidget(QWidget* parent) : QCustomPlot(parent) {
    applyPlotStyle(this);
    plotLayout()->insertRow(0);
    m_title = new ElidedTextElement(this, QString(), font());
    plotLayout()->addElement(0, 0, m_title);
    m_bars = new QCPBars(xAxis, yAxis);
    m_bars->setPen(QPen(QColor(40, 90, 160)));
    m_bars->setBrush(QColor(70, 130, 200, 180));
    m_bars->setName(tr("current"));
    m_origGraph = new QCPGraph(xAxis, yAxis);
    m_origGraph->setLineStyle(QCPGraph::lsStepLeft);
    m_origGraph->setPen(QPen(QColor(220, 90, 20), 1.5));
    m_origGraph->setName(tr("original"));
    xAxis->setLabel(tr("value"));
    yAxis->setLabel(tr("count"));
    yAxis->setTicker(countTicker());
    yAxis->setNumberFormat(QStringLiteral("gb")); // 2.5·10⁶ rather than 2.5e+06
    legend->setVisible(false);
    axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
    legend->setBrush(QColor(255, 255, 255, 200));
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    axisRect()->setRangeZoom(Qt::Horizontal);
    axisRect()->setRangeDrag(Qt::Horizontal);
    setMinimumSize(200, 110);
}

std::pair<Histogram, Histogram> HistogramWidget::compute(const float* values, int64_t n,
                                                         const float* original,
                                                         int64_t originalCount, int bins) {
    // With an original to overlay, both are binned over the range of the two together.
    double lo = 0, hi = 0;
    if (original && originalCount > 0) {
        const Histogram a = ws::histogram(values, n, 1);
        const Histogram b = ws::histogram(original, originalCount, 1);
        if (!a.edges.empty() && !b.edges.empty()) {
            lo = std::min(a.edges.front(), b.edges.front());
            hi = std::max(a.edges.back(), b.edges.back());
        }
    }
    Histogram cur = ws::histogram(values, n, bins, lo, hi);
    Histogram orig =
        original && !cur.edges.empty()
            ? ws::histogram(original, originalCount, bins, cur.edges.front(), cur.edges.back())
            : Histogram();
    return {std::move(cur), std::move(orig)};
}

void HistogramWidget::setValues(const float* values, int64_t n, const float* original,
                                int64_t originalCount, const QString& title) {
    auto [cur, orig] = compute(values, n, original, originalCount, m_bins);
    showHistograms(std::move(cur), std::move(orig), title);
}

void HistogramWidget::showHistograms(Histogram current, Histogram original, const QString& title) {
    m_hist = std::move(current);
    m_orig = std::move(original);
    const size_t bins = m_hist.counts.size();
    QVector<double> keys, counts;
    for (size_t i = 0; i < bins; ++i) {
        keys << (m_hist.edges[i] + m_hist.edges[i + 1]) / 2;
        counts << double(m_hist.counts[i]);
    }
    m_bars->setWidth(bins ? (m_hist.edges.back() - m_hist.edges.front()) / double(bins) : 1);
    m_bars->setData(keys, counts, true);
    QVector<double> ok, oc;
    for (size_t i = 0; i < m_orig.counts.size(); ++i) {
        ok << m_orig.edges[i];
        oc << double(m_orig.counts[i]);
    }
    if (!m_orig.counts.empty()) {
        ok << m_orig.edges.back();
        oc << double(m_orig.counts.back());
    }
    m_origGraph->setData(ok, oc, true);
    m_origGraph->setVisible(!ok.isEmpty());
    legend->setVisible(!ok.isEmpty());
    m_title->setText(title);
    xAxis->setVisible(true);
    yAxis->setVisible(true);
    rescale();
}

void HistogramWidget::clear() {
    m_hist = m_orig = Histogram();
    m_bars->data()->clear();
    m_origGraph->data()->clear();
    m_origGraph->setVisible(false);
    legend->setVisible(false);
    m_title->setText(QString());
    xAxis->setVisible(true);
    yAxis->setVisible(true);
    replot(rpQueuedReplot);
}

void HistogramWidget::showPending(const QString& name) {
    showMessage(tr("Computing the histogram of %1…").arg(name));
}

void HistogramWidget::showMessage(const QString& text) {
    clear();
    m_title->setText(text);
    xAxis->setVisible(false);
    yAxis->setVisible(false);
    replot(rpQueuedReplot);
}

QString HistogramWidget::title() const {
    return m_title->text();
}

void HistogramWidget::setLogCounts(bool on) {
    m_log = on;
    yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    yAxis->setTicker(on ? QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog) : countTicker());
    m_bars->setBaseValue(on ? 0.5 : 0);
    rescale();
}

void HistogramWidget::rescale() {
    double top = 1;
    for (int64_t c : m_hist.counts)
        top = std::max(top, double(c));
    for (int64_t c : m_orig.counts)
        top = std::max(top, double(c));
    if (!m_hist.edges.empty()) xAxis->setRange(m_hist.edges.front(), m_hist.edges.back());
    yAxis->setRange(m_log ? 0.5 : 0, m_log ? top * 2 : top * 1.05);
    replot(rpQueuedReplot);
}

} // namespace ws
