// Value-to-colour mapping with matplotlib's norms: Normalize, SymLogNorm (base 10,
// linscale 1), LogNorm of magnitudes and a signed square root.
#include "ColorScale.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ws {

bool ColorScale::parseScale(const QString& name, Scale* out) {
    const QString n = name.trimmed().toLower();
    Scale s;
    if (n == QLatin1String("linear"))
        s = Scale::Linear;
    else if (n == QLatin1String("symlog"))
        s = Scale::SymLog;
    else if (n == QLatin1String("log"))
        s = Scale::Log;
    else if (n == QLatin1String("sqrt"))
        s = Scale::Sqrt;
    else
        return false;
    if (out) *out = s;
    return true;
}

QStringList ColorScale::scaleNames() {
    return {QStringLiteral("linear"), QStringLiteral("symlog"), QStringLiteral("log"),
            QStringLiteral("sqrt")};
}

double ColorScale::transform(double v) const {
    switch (scale) {
    case Scale::Linear:
        return v;
    case Scale::SymLog: {
        // matplotlib SymLogNorm: linscale_adj = linscale / (1 - 1/base).
        const double c = linearThreshold > 0 ? linearThreshold : 1e-3;
        const double adj = 1.0 / (1.0 - 1.0 / 10.0);
        const double a = std::abs(v);
        if (a <= c) return v * adj;
        return std::copysign(c * (adj + std::log10(a / c)), v);
    }
    case Scale::Log:
        return std::log10(std::abs(v));
    case Scale::Sqrt:
        return std::copysign(std::sqrt(std::abs(v)), v);
    }
    return v;
}

double ColorScale::position(double v) const {
    if (std::isnan(v)) return std::numeric_limits<double>::quiet_NaN();
    double l = lo, h = hi;
    if (l > h) std::swap(l, h);
    if (scale == Scale::Log) {
        // Log of magnitudes: the range is one of magnitudes too.
        v = std::abs(v);
        if (h <= 0) h = 1;
        if (l <= 0) l = h * 1e-6;
    }
    if (v < l) return -1;
    if (v > h) return 2;
    const double tl = transform(l), th = transform(h);
    if (!(th > tl)) return 0.5;
    return std::clamp((transform(v) - tl) / (th - tl), 0.0, 1.0);
}

QRgb ColorScale::colorOf(double v) const {
    const double p = position(v);
    if (std::isnan(p)) return nan;
    if (p < 0) return under;
    if (p > 1) return over;
    return map.colorAt(p);
}

} // namespace ws
