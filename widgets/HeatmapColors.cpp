// Cell colouring through ColorScale, colour-bar ticks and range computation.
#include "HeatmapColors.h"

#include "Analysis.h"
#include "PlotStyle.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ws {

ScaledColorMap::ScaledColorMap(QCPAxis* keyAxis, QCPAxis* valueAxis)
    : QCPColorMap(keyAxis, valueAxis) {}

void ScaledColorMap::setColorSpec(const ColorScale& spec) {
    m_spec = spec;
    m_dirty = true;
}

void ScaledColorMap::updateMapImage() {
    if (!m_dirty && !mMapImageInvalidated && !mMapImage.isNull()) return;
    QCPColorMapData* d = data();
    if (!d || d->isEmpty() || !keyAxis()) return;
    const int keySize = d->keySize(), valueSize = d->valueSize();
    const bool horizontal = keyAxis()->orientation() == Qt::Horizontal;
    const int w = horizontal ? keySize : valueSize, h = horizontal ? valueSize : keySize;
    QImage image(w, h, QImage::Format_ARGB32_Premultiplied);
    for (int v = 0; v < valueSize; ++v)
        for (int k = 0; k < keySize; ++k) {
            const QRgb c = m_spec.colorOf(d->cell(k, v));
            // QImage counts scanlines from the top; value indices count from the bottom.
            if (horizontal)
                reinterpret_cast<QRgb*>(image.scanLine(h - 1 - v))[k] = c;
            else
                reinterpret_cast<QRgb*>(image.scanLine(h - 1 - k))[v] = c;
        }
    // Small grids are scaled up without smoothing so that viewers do not blur the cells.
    const int fx = interpolate() ? 1 : int(1.0 + 100.0 / double(w));
    const int fy = interpolate() ? 1 : int(1.0 + 100.0 / double(h));
    mMapImage = (fx > 1 || fy > 1)
                    ? image.scaled(w * fx, h * fy, Qt::IgnoreAspectRatio, Qt::FastTransformation)
                    : image;
    mMapImageInvalidated = false;
    m_dirty = false;
}

namespace {

QString tickLabel(double v) {
    if (v == 0) return QStringLiteral("0");
    return QString::number(v, 'g', 3);
}

// Nice linear ticks over [lo, hi] in original values.
std::vector<double> niceTicks(double lo, double hi, int target) {
    std::vector<double> out;
    if (!(hi > lo)) return out;
    const double raw = (hi - lo) / target;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (m * mag >= raw) {
            step = m * mag;
            break;
        }
    for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
        out.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
    return out;
}

} // namespace

QMap<double, QString> colorBarTicks(const ColorScale& spec) {
    QMap<double, QString> ticks;
    const double lo = spec.lo, hi = spec.hi;
    auto add = [&](double v) {
        if (v < lo - 1e-12 * std::fabs(lo) || v > hi + 1e-12 * std::fabs(hi)) return;
        const double t = spec.transform(v);
        if (std::isfinite(t)) ticks.insert(t, tickLabel(v));
    };
    using S = ColorScale::Scale;
    if (spec.scale == S::Log) {
        const double a = std::floor(std::log10(std::max(lo, 1e-300)));
        const double b = std::ceil(std::log10(std::max(hi, 1e-300)));
        const int step = std::max(1, int(std::ceil((b - a) / 8)));
        for (double e = a; e <= b; e += step)
            add(std::pow(10.0, e));
        add(lo);
        add(hi);
    } else if (spec.scale == S::SymLog) {
        const double th = spec.linearThreshold;
        add(0);
        const double m = std::max(std::fabs(lo), std::fabs(hi));
        if (m > 0 && th > 0) {
            const double a = std::floor(std::log10(th)), b = std::ceil(std::log10(m));
            const int step = std::max(1, int(std::ceil((b - a) / 4)));
            for (double e = a; e <= b; e += step) {
                add(std::pow(10.0, e));
                add(-std::pow(10.0, e));
            }
        }
    } else {
        for (double v : niceTicks(lo, hi, 6))
            add(v);
    }
    return ticks;
}

std::pair<double, double> computeColorRange(const float* values, int64_t n, RangeMode mode,
                                            ColorScale::Scale scale, double pLo, double pHi,
                                            double dataMin, double dataMax) {
    const bool log = scale == ColorScale::Scale::Log;
    const float* p = values;
    std::vector<float> magnitudes;
    if (log) {
        magnitudes.reserve(size_t(n));
        for (int64_t i = 0; i < n; ++i) {
            const float v = std::fabs(values[i]);
            if (v > 0) magnitudes.push_back(v);
        }
        p = magnitudes.data();
    }
    const int64_t count = log ? int64_t(magnitudes.size()) : n;
    double mn = std::numeric_limits<double>::infinity(), mx = -mn;
    for (int64_t i = 0; i < count; ++i)
        if (std::isfinite(p[i])) {
            mn = std::min(mn, double(p[i]));
            mx = std::max(mx, double(p[i]));
        }
    if (!log && dataMin <= dataMax && (dataMin != 0 || dataMax != 0)) {
        // The exact range of every element (the values may be a sample).
        mn = dataMin;
        mx = dataMax;
    }
    if (mn > mx) return log ? std::make_pair(0.1, 1.0) : std::make_pair(-1.0, 1.0);
    std::pair<double, double> r;
    switch (mode) {
    case RangeMode::Percentile:
        r = percentileRange(p, count, pLo, pHi);
        break;
    case RangeMode::Symmetric: {
        const double a = std::max(std::fabs(mn), std::fabs(mx));
        r = log ? std::make_pair(mn, mx) : std::make_pair(-a, a);
        break;
    }
    case RangeMode::MinMax:
        r = {mn, mx};
        break;
    default:
        r = log ? std::make_pair(mn, mx) : defaultRange(mn, mx);
    }
    if (!(r.first < r.second)) {
        const double c = r.first, d = c == 0 ? 1.0 : std::fabs(c) * 0.5;
        r = log ? std::make_pair(c / 2, c * 2) : std::make_pair(c - d, c + d);
    }
    return r;
}

void chooseOutOfRangeColors(ColorScale* spec) {
    const QString name = spec->map.name().toLower();
    if (name.startsWith(QLatin1String("gray")) || name.startsWith(QLatin1String("grey"))) {
        spec->under = qRgb(0, 90, 255);
        spec->over = qRgb(255, 40, 0);
    } else if (spec->map.isDiverging()) {
        spec->under = qRgb(0, 0, 0);
        spec->over = qRgb(0, 200, 0);
    } else {
        spec->under = qRgb(0, 200, 255);
        spec->over = qRgb(255, 0, 0);
    }
    spec->nan = qRgb(255, 0, 255);
}

} // namespace ws
