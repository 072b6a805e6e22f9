// Nice tick steps and their labels, after matplotlib's MaxNLocator, ScalarFormatter
// and LogFormatterSciNotation.
#include "FigureTicks.h"

#include <algorithm>
#include <cmath>

namespace ws {

namespace {

std::vector<double> ticksWithStep(double vmin, double vmax, double step) {
    std::vector<double> out;
    const double eps = step * 1e-9;
    for (double k = std::ceil((vmin - eps) / step); k * step <= vmax + eps; k += 1) {
        const double t = k * step;
        out.push_back(std::fabs(t) < eps ? 0.0 : t);
        if (out.size() > 1000) break; // a step far too small for the range: give up
    }
    return out;
}

bool isWhole(double v) {
    return std::fabs(v - std::round(v)) < 1e-9 * std::max(1.0, std::fabs(v));
}

TickLabel powerOfTen(int exponent, bool negative) {
    return {negative ? QStringLiteral("\u221210") : QStringLiteral("10"),
            withMinusSign(QString::number(exponent))};
}

} // namespace

QString withMinusSign(QString text) {
    return text.replace(QLatin1Char('-'), QChar(0x2212));
}

std::vector<double> niceTicks(double vmin, double vmax, int nbins, bool integer) {
    if (!std::isfinite(vmin) || !std::isfinite(vmax)) return {};
    if (vmin > vmax) std::swap(vmin, vmax);
    if (!(vmax > vmin)) return {vmin};
    nbins = std::max(1, nbins);
    const double raw = (vmax - vmin) / nbins;
    const double scale = std::pow(10.0, std::floor(std::log10(raw)));
    std::vector<double> fallback;
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0}) {
        const double step = m * scale;
        if (step < raw * (1 - 1e-9)) continue;
        if (integer && (step < 1 - 1e-9 || !isWhole(step))) continue;
        std::vector<double> ticks = ticksWithStep(vmin, vmax, step);
        if (ticks.size() >= 2) return ticks;
        if (fallback.empty()) fallback = std::move(ticks);
    }
    if (fallback.empty() && integer) fallback = ticksWithStep(vmin, vmax, 1.0);
    return fallback;
}

std::vector<TickLabel> formatTicks(const std::vector<double>& ticks, TickLabel* offset) {
    if (offset) *offset = TickLabel();
    std::vector<TickLabel> out;
    if (ticks.empty()) return out;
    double maxAbs = 0;
    for (double t : ticks)
        maxAbs = std::max(maxAbs, std::fabs(t));
    const int oom = maxAbs > 0 ? int(std::floor(std::log10(maxAbs))) : 0;
    const bool scientific = maxAbs > 0 && (oom <= -5 || oom >= 6);
    const double mult = scientific ? std::pow(10.0, oom) : 1.0;
    if (scientific && offset)
        *offset = {QStringLiteral("\u00d710"), withMinusSign(QString::number(oom))};
    std::vector<double> scaled(ticks.size());
    for (size_t i = 0; i < ticks.size(); ++i)
        scaled[i] = ticks[i] / mult;
    // The step sets the precision every label needs; all share the same decimals.
    std::vector<double> sorted = scaled;
    std::sort(sorted.begin(), sorted.end());
    double step = 0;
    for (size_t i = 1; i < sorted.size(); ++i)
        if (sorted[i] > sorted[i - 1])
            step = step > 0 ? std::min(step, sorted[i] - sorted[i - 1]) : sorted[i] - sorted[i - 1];
    if (!(step > 0)) step = std::max(std::fabs(sorted.front()), 1e-300);
    int decimals = 0;
    for (; decimals < 15; ++decimals) {
        bool exact = true;
        for (double v : scaled) {
            const double shown = QString::number(v, 'f', decimals).toDouble();
            if (std::fabs(shown - v) > step * 1e-6) {
                exact = false;
                break;
            }
        }
        if (exact) break;
    }
    for (double v : scaled) {
        QString s = QString::number(v, 'f', decimals);
        if (s.startsWith(QLatin1Char('-')) && s.toDouble() == 0) s.remove(0, 1); // no "-0.00"
        out.push_back({withMinusSign(s), QString()});
    }
    return out;
}

std::vector<ColorBarTick> colorBarTicks(const ColorScale& spec, int nbins, TickLabel* offset) {
    if (offset) *offset = TickLabel();
    double lo = std::min(spec.lo, spec.hi), hi = std::max(spec.lo, spec.hi);
    std::vector<ColorBarTick> out;
    const auto inRange = [&](double v, double l, double h) {
        const double eps = 1e-9 * std::max(std::fabs(l), std::fabs(h));
        return v >= l - eps && v <= h + eps;
    };
    const auto add = [&](double v, TickLabel label) {
        const double p = spec.position(v);
        if (std::isfinite(p) && p >= 0 && p <= 1) out.push_back({v, p, std::move(label)});
    };
    using S = ColorScale::Scale;
    if (spec.scale == S::Log) {
        // The range is one of magnitudes (ColorScale::position).
        if (hi <= 0) hi = 1;
        if (lo <= 0) lo = hi * 1e-6;
        const int a = int(std::ceil(std::log10(lo) - 1e-9));
        const int b = int(std::floor(std::log10(hi) + 1e-9));
        if (b - a + 1 >= 2) {
            const int step = std::max(1, int(std::ceil(double(b - a + 1) / std::max(1, nbins))));
            for (int e = a; e <= b; e += step)
                add(std::pow(10.0, e), powerOfTen(e, false));
        } else {
            std::vector<double> values;
            for (int e = int(std::floor(std::log10(lo))); e <= int(std::ceil(std::log10(hi))); ++e)
                for (double m : {1.0, 2.0, 5.0}) {
                    const double v = m * std::pow(10.0, e);
                    if (inRange(v, lo, hi)) values.push_back(v);
                }
            const std::vector<TickLabel> labels = formatTicks(values, offset);
            for (size_t i = 0; i < values.size(); ++i)
                add(values[i], labels[i]);
        }
    } else if (spec.scale == S::SymLog) {
        const double th = spec.linearThreshold > 0 ? spec.linearThreshold : 1e-3;
        const double m = std::max(std::fabs(lo), std::fabs(hi));
        if (inRange(0, lo, hi)) add(0, {QStringLiteral("0"), QString()});
        if (m >= th) {
            const int a = int(std::ceil(std::log10(th) - 1e-9));
            const int b = int(std::floor(std::log10(m) + 1e-9));
            // Both signs share the space: about half the bins for each.
            const int perSide = std::max(1, nbins / 2);
            const int step = std::max(1, int(std::ceil(double(b - a + 1) / perSide)));
            for (int e = b; e >= a; e -= step) {
                const double v = std::pow(10.0, e);
                if (inRange(v, lo, hi)) add(v, powerOfTen(e, false));
                if (inRange(-v, lo, hi)) add(-v, powerOfTen(e, true));
            }
        }
    } else {
        std::vector<double> values;
        for (double v : niceTicks(lo, hi, nbins, false))
            if (inRange(v, lo, hi)) values.push_back(v);
        const std::vector<TickLabel> labels = formatTicks(values, offset);
        for (size_t i = 0; i < values.size(); ++i)
            add(values[i], labels[i]);
    }
    std::sort(out.begin(), out.end(),
              [](const ColorBarTick& x, const ColorBarTick& y) { return x.position < y.position; });
    return out;
}

} // namespace ws
