// Colour maps built from matplotlib's tables (ColorMapTables.h), its "_r" maps included.
#include "ColorMap.h"
#include "ColorMapTables.h"

#include <algorithm>
#include <cmath>

namespace ws {

QStringList ColorMap::names() {
    QStringList out;
    for (const auto& t : colormaps::kTables) {
        const QString name = QString::fromLatin1(t.name);
        if (!name.endsWith(QLatin1String("_r"))) out << name;
    }
    return out;
}

bool ColorMap::byName(const QString& name, ColorMap* out) {
    // The tables hold matplotlib's reversed maps too ("RdBu_r"), exactly as it draws them.
    for (const auto& t : colormaps::kTables) {
        if (name.compare(QLatin1String(t.name), Qt::CaseInsensitive) != 0) continue;
        out->m_name = QString::fromLatin1(t.name);
        out->m_diverging = t.diverging;
        out->m_stops.clear();
        for (unsigned int rgb : t.stops)
            out->m_stops << QColor::fromRgb(QRgb(0xff000000u | rgb));
        return true;
    }
    return false;
}

QString ColorMap::defaultFor(double lo, double hi) {
    // Signed data: blue for negative, red for positive, white at zero.
    if (lo < 0 && hi > 0) return QStringLiteral("RdBu_r");
    return QStringLiteral("viridis");
}

QRgb ColorMap::colorAt(double t) const {
    if (m_stops.isEmpty()) return qRgb(0, 0, 0);
    if (std::isnan(t)) return qRgb(255, 0, 255);
    // As matplotlib's Colormap: the entry whose equal-width bin holds t, no blending
    // (the tables hold matplotlib's 256 entries, so colours match exactly).
    const int n = int(m_stops.size());
    const int i = std::clamp(int(std::clamp(t, 0.0, 1.0) * n), 0, n - 1);
    return m_stops[i].rgb();
}

std::pair<double, double> defaultRange(double min, double max) {
    if (!std::isfinite(min) || !std::isfinite(max)) return {-1, 1};
    if (min < 0 && max > 0) {
        double m = std::max(-min, max);
        return {-m, m};
    }
    if (min == max) {
        double pad = min == 0 ? 1 : std::abs(min) * 0.5;
        return {min - pad, max + pad};
    }
    return {min, max};
}

} // namespace ws
