// Heatmap colour settings: range modes, scale transforms, aspect lock, and the
// ColorScale handed to the colour map and colour bar.
#include "HeatmapWidget.h"

#include "PlotStyle.h"

#include <algorithm>
#include <cmath>

namespace ws {

namespace {

/// Elements the percentile and log ranges look at: every element of a matrix up to
/// this size, an even sample of whole rows beyond it (documented in the README).
constexpr int64_t kSampleElements = int64_t(1) << 22;

} // namespace

const std::vector<float>& HeatmapWidget::sample() {
    if (m_sampled || !hasData()) return m_sample;
    m_sampled = true;
    m_sample.clear();
    const int64_t R = m_source->rows(), C = m_source->cols();
    QString error;
    if (R * C <= kSampleElements) {
        m_source->forEachTile(
            0, 0, R, C,
            [&](const MatrixSource::Tile& t) {
                for (int64_t r = 0; r < t.nRows; ++r)
                    m_sample.insert(m_sample.end(), t.data + r * t.stride,
                                    t.data + r * t.stride + t.nCols);
            },
            &error);
        return m_sample;
    }
    const int64_t cols = std::min<int64_t>(C, kSampleElements);
    const int64_t rowsWanted = std::max<int64_t>(1, kSampleElements / cols);
    std::vector<float> buffer;
    for (int64_t k = 0; k < rowsWanted && k < R; ++k) {
        const int64_t r = k * R / std::min(rowsWanted, R);
        int64_t stride = 0;
        const float* p = m_source->tile(r, 1, 0, cols, &buffer, &stride, &error);
        if (!p) break;
        m_sample.insert(m_sample.end(), p, p + cols);
    }
    return m_sample;
}

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
    } else if (hasData()) {
        const std::vector<float>& values = sample();
        const auto r = computeColorRange(values.data(), int64_t(values.size()), m_rangeMode,
                                         m_scaleType, m_pLo, m_pHi, m_dataMin, m_dataMax);
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
