// Where everything of a heatmap figure goes, computed from the fonts' metrics on
// the output device (as matplotlib's constrained layout does): the plot area, the
// colour bar, every tick and every text, so that nothing is clipped by the page or
// overlaps another text at any figure size.
#pragma once

#include "ColorScale.h"
#include "FigureOptions.h"
#include "FigureTicks.h"

#include <QFont>
#include <QRectF>
#include <QString>
#include <vector>

class QPaintDevice;

namespace ws {

/// One text of the figure, placed on the page in device units.
struct FigureText {
    enum class Role { Title, XLabel, YLabel, XTick, YTick, BarTick, BarOffset, BarLabel };
    Role role = Role::Title;
    QString text;
    QString sup;           ///< drawn after text, raised and smaller (an exponent)
    QFont font;            ///< point size as on the page
    QFont supFont;         ///< for sup
    double sizePt = 0;     ///< font.pointSizeF()
    QPointF origin;        ///< start of the baseline
    bool vertical = false; ///< rotated a quarter turn anticlockwise (reads bottom to top)
    double supRaise = 0;   ///< sup's baseline above the text's, device units
    QRectF bounds;         ///< the text's box on the page (ascent to descent)
};

/// The figure's geometry in the device's units (see unit).
struct FigureLayout {
    double unit = 1; ///< device units per point
    QRectF page;     ///< the whole figure
    QRectF plot;     ///< the heatmap's area
    QRectF bar;      ///< the colour bar's gradient; empty without a colour bar
    double underTriangle = 0, overTriangle = 0; ///< lengths of the extension triangles
    double lineWidth = 0, tickLength = 0;
    std::vector<double> xTicks, yTicks, barTicks; ///< tick positions on the page
    std::vector<FigureText> texts;
    double fontSizePt = 0; ///< tick label size used (after any shrinking)
    int64_t row0 = 0, col0 = 0, nRows = 0, nCols = 0; ///< the region shown
};

/// Lays out a figure of \a options for a rows x cols matrix coloured by \a spec on
/// \a device (its logical DPI converts points to device units; fonts are measured on
/// it). The region in \a options is clipped to the matrix.
FigureLayout layoutFigure(const FigureOptions& options, const ColorScale& spec, int64_t rows,
                          int64_t cols, const QPaintDevice* device);

} // namespace ws
