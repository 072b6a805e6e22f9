// Tick positions and labels for publication figures, chosen as matplotlib's
// MaxNLocator and ScalarFormatter do: "nice" steps (1, 2, 2.5, 5 x 10^k), at most
// as many as the space allows, labels with a common number of decimals, a true
// minus sign, powers of ten for log scales. Written here rather than taken from
// QCustomPlot because the figure renderer is part of the model (no widgets).
#pragma once

#include "ColorScale.h"

#include <QString>
#include <vector>

namespace ws {

/// A tick label: \a text, then \a sup raised as an exponent ("10" + "−3"); empty
/// \a sup for plain numbers.
struct TickLabel {
    QString text, sup;
};

/// Ticks on [\a vmin, \a vmax] with at most about \a nbins intervals at the smallest
/// nice step (1, 2, 2.5, 5 or 10 x 10^k) that leaves at least two ticks inside, as
/// matplotlib's MaxNLocator; \a integer keeps only whole steps (indices).
std::vector<double> niceTicks(double vmin, double vmax, int nbins, bool integer);

/// Labels for linear ticks with one number of decimals for all, as matplotlib's
/// ScalarFormatter: "−0.10", "0.00", "0.05". Values of magnitude below 1e-4 or from
/// 1e6 are written as multiples of 10^k and \a offset gets "×10" with sup "k"
/// (else it is cleared).
std::vector<TickLabel> formatTicks(const std::vector<double>& ticks, TickLabel* offset);

/// \a text with '-' replaced by the typographic minus sign U+2212.
QString withMinusSign(QString text);

/// A tick of the colour bar: an original value, where it sits along the bar (0 at
/// the low end, 1 at the high end, after the scale's transform) and its label.
struct ColorBarTick {
    double value = 0;
    double position = 0;
    TickLabel label;
};

/// Ticks for \a spec's colour bar with about \a nbins intervals: nice values for
/// linear and square-root scales, powers of ten for log (1, 2, 5 x 10^k over less
/// than two decades), 0 and +-powers of ten for symlog. \a offset as formatTicks.
std::vector<ColorBarTick> colorBarTicks(const ColorScale& spec, int nbins, TickLabel* offset);

} // namespace ws
