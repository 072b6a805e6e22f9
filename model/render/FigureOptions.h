// What a publication figure of a heatmap looks like: its physical size, the
// resolution of its rasters, fonts in points and the texts around the plot.
// Shared by the command line's export, the export dialog and the clipboard.
#pragma once

#include <QString>
#include <cstdint>

namespace ws {

/// Physical sizes, fonts and texts of a heatmap figure (see renderFigure).
struct FigureOptions {
    /// matplotlib's default figure, 6.4 x 4.8 in.
    static constexpr double kDefaultWidthPt = 6.4 * 72, kDefaultHeightPt = 4.8 * 72;
    static constexpr double kMinFontPt = 6; ///< no text is ever smaller

    double widthPt = kDefaultWidthPt; ///< the figure's size in points (1/72 in)
    double heightPt = kDefaultHeightPt;
    /// Pixels per inch of rasters: a PNG's pixels, and a heatmap larger than the plot
    /// area at this resolution is pooled to it inside a PDF or SVG (else one image
    /// pixel per cell).
    double dpi = 100;
    QString fontFamily = QStringLiteral("DejaVu Sans"); ///< matplotlib's default
    /// Tick labels, in points; axis labels the same, the title 1.2 times (matplotlib's
    /// "medium" and "large"). Never below kMinFontPt.
    double fontSizePt = 10;
    /// Lets the layout shrink the fonts (not below kMinFontPt) when the plot area would
    /// otherwise be squeezed to less than half the figure's width or height (a small figure with
    /// the default font size); off when the user chose a font size.
    bool shrinkFontsToFit = false;
    QString title;         ///< empty: no title
    QString xLabel;        ///< below the x axis (columns); empty: none
    QString yLabel;        ///< left of the y axis (rows); empty: none
    QString colorBarLabel; ///< beside the colour bar; empty: none
    bool colorBar = true;
    /// Triangles at the colour bar's ends in the under / over colours, for data
    /// beyond the colour range (matplotlib's colorbar extend).
    bool extendUnder = false, extendOver = false;
    /// The region of the matrix shown (tick labels are real indices); a negative
    /// count runs to the end of the matrix.
    int64_t row0 = 0, col0 = 0, nRows = -1, nCols = -1;
};

/// Parses a length with its unit, "3.5in", "8.9cm", "89mm", "252pt" (a space before
/// the unit is allowed), into points; false for anything else or a value <= 0.
bool parseLength(const QString& text, double* points);

class Tensor;
class WeightFile;

/// The kind the layer tree gives the module that holds the tensor named \a name
/// ("Linear", "Dense", "Conv", ...), or empty.
QString layerKindOf(const WeightFile& file, const QString& name);

/// Axis labels for a heatmap of \a t: "in" along x and "out" along y for the weight
/// of a Linear layer (\a layerKind; swapped for an input-major Dense kernel, which
/// is drawn as stored), else the tensor's dimensions: "dim 1" / "dim 0", and
/// "dims 1-3" for the flattened trailing dimensions of a higher-rank tensor.
void defaultAxisLabels(const Tensor& t, const QString& layerKind, QString* xLabel, QString* yLabel);

} // namespace ws
