// Heatmap colour settings: range modes, scale transforms, aspect lock, and the
// ColorScale handed to the colour map and colour bar.
#include "HeatmapWidget.h"

#include "PlotStyle.h"

#include <algorithm>
#include <cmath>

namespace ws {

namespace {

// Range holding \a percent of the values (by magnitude for signed data), from an
// even sample of at most ~1M elements.
QCPRange clippedRange(const MatrixF& m, double lo, double hi, double percent) {
    const int64_t n = int64_t(m.size());
    const int64_t stride = std::max<int64_t>(1, n / (int64_t(1) << 20));
    const bool signedData = lo < 0 && hi > 0;
    std::vector<float> sample;
    sample.reserve(size_t(n / stride + 1));
    for (int64_t i = 0; i < n; i += stride) {
        const float v = m.data()[i];
        if (std::isfinite(v)) sample.push_back(signedData ? std::fabs(v) : v);
    }
    if (sample.empty()) return QCPRange(lo, hi);
    const auto at = [&sample](double q) {
        const size_t k = std::min(sample.size() - 1, size_t(q * double(sample.size() - 1)));
        std::nth_element(sample.begin(), sample.begin() + std::ptrdiff_t(k), sample.end());
        return double(sample[k]);
    };
    const double q = percent / 100.0;
    if (signedData) {
        const double m = at(q);
        return m > 0 ? QCPRange(-m, m) : QCPRange(lo, hi);
    }
    const double a = at(1.0 - q), b = at(q);
    return a < b ? QCPRange(a, b) : QCPRange(lo, hi);
}

} // namespace

void HeatmapWidget::setColorRange(double lo, double hi) {
    m_rangeMode = RangeMode::Manual;
    m_range = QCPRange(lo, hi);
    applyColors();
}

void HeatmapWidget::autoRange() {
    if (m_rangeMode == RangeMode::Manual) m_rangeMode = RangeMode::Auto;
    if (m_diff && m_rangeMode == RangeMode::Auto && m_scaleType != ColorScale::Scale::Log) {
        const double m = std::max(std::fabs(m_dataMin), std::fabs(m_dataMax));
        m_range = m > 0 ? QCPRange(-m, m) : QCPRange(-1, 1);
        applyColors();
        return;
    }
    if (m_rangeMode == RangeMode::Auto && m_scaleType != ColorScale::Scale::Log) {
        const auto r = defaultRange(m_dataMin, m_dataMax);
        m_range = QCPRange(r.first, r.second);
        if (m_clip < 100 && m_values)
            m_range = clippedRange(*m_values, m_dataMin, m_dataMax, m_clip);
    } else if (m_values) {
        const auto r = computeColorRange(*m_values, m_rangeMode, m_scaleType, m_pLo, m_pHi);
        m_range = QCPRange(r.first, r.second);
    }
    applyColors();
}

void HeatmapWidget::setRangeMode(RangeMode mode, double pLo, double pHi) {
    m_rangeMode = mode;
    m_pLo = std::clamp(std::min(pLo, pHi), 0.0, 100.0);
    m_pHi = std::clamp(std::max(pLo, pHi), 0.0, 100.0);
    if (mode == RangeMode::Manual)
        applyColors();
    else
        autoRange();
}

void HeatmapWidget::setScaleType(ColorScale::Scale scale) {
    const bool logChange =
        (scale == ColorScale::Scale::Log) != (m_scaleType == ColorScale::Scale::Log);
    m_scaleType = scale;
    if (logChange && m_rangeMode == RangeMode::Manual) m_rangeMode = RangeMode::Auto;
    autoRange();
}

void HeatmapWidget::setLinearThreshold(double threshold) {
    if (threshold > 0) m_linThreshold = threshold;
    applyColors();
}

void HeatmapWidget::setNanColor(QRgb color) {
    m_nanColor = color;
    applyColors();
}

QRgb HeatmapWidget::gridColor(int col, int row) const {
    return m_map->colorSpec().colorOf(m_map->data()->cell(col, row));
}

void HeatmapWidget::setAspectLocked(bool on) {
    m_aspect = on;
    resetView();
}

void HeatmapWidget::fitAspect() {
    if (!m_aspect || !m_source) return;
    const double w = std::max(1, axisRect()->width()), h = std::max(1, axisRect()->height());
    // Equal units per pixel: widen the axis that has fewer, so that nothing shown is cut off.
    const double upp = std::max(xAxis->range().size() / w, yAxis->range().size() / h);
    const double cx = xAxis->range().center(), cy = yAxis->range().center();
    m_clamping = true;
    xAxis->setRange(cx - upp * w / 2, cx + upp * w / 2);
    yAxis->setRange(cy - upp * h / 2, cy + upp * h / 2);
    m_clamping = false;
}

void HeatmapWidget::applyColors() {
    ColorScale spec;
    ColorMap::byName(m_diff ? QStringLiteral("RdBu_r") : m_colorMap, &spec.map);
    spec.scale = m_scaleType;
    spec.linearThreshold = m_linThreshold;
    spec.lo = std::min(m_range.lower, m_range.upper);
    spec.hi = std::max(m_range.lower, m_range.upper);
    if (m_scaleType == ColorScale::Scale::Log && spec.hi > 0 && spec.lo <= 0)
        spec.lo = spec.hi * 1e-6;
    chooseOutOfRangeColors(&spec);
    spec.nan = m_nanColor;
    m_map->setColorSpec(spec);
    markExtensions(spec);
    // The colour bar runs in transformed space; its ticks name original values.
    double tl = spec.transform(spec.lo), th = spec.transform(spec.hi);
    if (!std::isfinite(tl) || !std::isfinite(th) || !(th > tl)) {
        tl = 0;
        th = 1;
    }
    m_map->setDataRange(QCPRange(tl, th));
    if (m_scaleType == ColorScale::Scale::Linear) {
        if (m_scale->axis()->ticker().dynamicCast<QCPAxisTickerText>())
            m_scale->axis()->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    } else {
        QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
        ticker->setTicks(colorBarTicks(spec));
        m_scale->axis()->setTicker(ticker);
    }
    static const char* const names[] = {"", " (symlog)", " (log |x|)", " (sqrt)"};
    m_scale->axis()->setLabel((m_diff ? tr("current − original") : tr("value")) +
                              QLatin1String(names[int(m_scaleType)]));
    replot(rpQueuedReplot);
}

} // namespace ws
