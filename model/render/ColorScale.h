// How values become colours for publication-quality heatmaps: a colour map, a
// scale (linear, symmetric log, log of |x|, square root), a range, and distinct
// colours for values below and above the range.
#pragma once

#include "ColorMap.h"

#include <QString>
#include <QStringList>

namespace ws {

/// A value-to-colour mapping. Values are first clipped against [lo, hi] (outside
/// them: under/over colours), then transformed by the scale and mapped linearly.
struct ColorScale {
    enum class Scale { Linear, SymLog, Log, Sqrt };
    ColorMap map;
    Scale scale = Scale::Linear;
    double lo = -1, hi = 1;
    double linearThreshold = 1e-3; ///< symlog: linear within +-threshold
    QRgb under = qRgb(0, 0, 0);    ///< default: black below
    QRgb over = qRgb(0, 255, 0);   ///< default: green above; set from the map where sensible
    QRgb nan = qRgb(255, 0, 255);

    /// "linear", "symlog", "log", "sqrt" (case-insensitive); false if unknown.
    static bool parseScale(const QString& name, Scale* out);
    static QStringList scaleNames();

    /// The scale's transform of \a v (log: log10|x|; sqrt: sign(x)*sqrt|x|;
    /// symlog: matplotlib's SymLogNorm with base 10 and linscale 1).
    double transform(double v) const;
    /// Position of \a v in [0, 1]; < 0 under the range, > 1 over it, NaN for NaN.
    /// Log compares the magnitude |v| with [lo, hi] (lo <= 0 is taken as hi * 1e-6).
    double position(double v) const;
    /// Colour of \a v: under/over/nan colours outside the range, else the map's stop
    /// whose equal-width bin holds position(v), exactly as matplotlib's Colormap picks it.
    QRgb colorOf(double v) const;
};

} // namespace ws
