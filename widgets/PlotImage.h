// Figures of the plots on screen, for File > Export Image and Edit > Copy Image:
// what the plot shows (its colours, scale, slice and zoom) at a physical size with
// fonts in points. A heatmap goes through the model's figure renderer, the same as
// the command line's export; other plots (bar charts, histograms) are drawn by their
// widget. No GUI overlay (selection, cell cursor, hover) is ever exported.
#pragma once

#include "FigureOptions.h"

#include <QImage>
#include <QString>

class QCustomPlot;

namespace ws {

struct PlotImageOptions {
    double widthPt = FigureOptions::kDefaultWidthPt; ///< the figure's size in points
    double heightPt = FigureOptions::kDefaultHeightPt;
    int dpi = 300;          ///< a PNG's pixels per inch, and rasters inside PDF/SVG
    double fontSizePt = 10; ///< tick labels; axis labels the same, the title 1.2 times
    QString fontFamily = QStringLiteral("DejaVu Sans");
    QString title;          ///< empty: no title
    QString xLabel, yLabel; ///< heatmaps: axis labels; empty: none
    QString colorBarLabel;  ///< heatmaps: beside the colour bar; empty: none
    bool showColorBar = true;
};

/// The plot's own texts (title, axis labels, colour-bar label) in otherwise default options.
PlotImageOptions plotDefaults(QCustomPlot* plot);

/// Writes the figure of \a plot to \a path (.png, .svg or .pdf) with \a options; the plot
/// is left as it was. A PNG has the size times dpi pixels and records the dpi.
bool exportPlot(QCustomPlot* plot, const QString& path, const PlotImageOptions& options,
                QString* error);
/// The figure of \a plot as an image of \a width x \a height pixels at the screen's
/// resolution, with the plot's own texts (for the clipboard).
QImage plotImage(QCustomPlot* plot, int width, int height);

} // namespace ws
