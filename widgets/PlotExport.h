// Headless rendering of a tensor to PNG, SVG or PDF with the same widgets the GUI
// shows (heatmap, bar chart, value card); used by the command line.
#pragma once

#include "ColorScale.h"
#include "Tensor.h"

#include <QString>

class QCustomPlot;

namespace ws {

struct ExportOptions {
    QString colormap;      // empty = default for the data
    bool hasRange = false; // else automatic (symmetric for signed data)
    double lo = 0, hi = 0;
    int width = 1200, height = 900;                      // pixels of the output image
    QString title;                                       // empty = tensor name
    ColorScale::Scale scale = ColorScale::Scale::Linear; // heatmap value transform
    double linearThreshold = 0; // symlog: linear within +-threshold; 0 = the widget's default
    int dpi = 0; // physical resolution (PNG metadata, PDF/SVG size); 0 = 96 for PNG, 72 for PDF
    bool hasPercentile = false; // range from percentiles pLo..pHi of the data (of |x| for log)
    double pLo = 1, pHi = 99;
    bool difference = false; // the values are differences: diverging colours centred at zero
};

/// Writes \a plot, drawn at width x height pixels, to \a path: .png (our encoder, \a dpi
/// as metadata), .svg or .pdf (a page of width / dpi inches), through a temporary file
/// that replaces \a path only when complete. \a dpi 0: 96 for PNG, 72 for PDF.
bool savePlotFile(QCustomPlot* plot, const QString& path, int width, int height,
                  const QString& title, int dpi, QString* error);

/// Renders \a t as the GUI does (heatmap with axes and colour bar for rank >= 2, bar chart for
/// rank 1, a value card for rank 0) to \a path; the extension selects .png, .svg (QSvgGenerator,
/// Qt6::Svg is linked) or .pdf. A PNG is exactly width x height pixels. Needs a QApplication.
bool exportTensorImage(const Tensor& t, const QString& path, const ExportOptions& options,
                       QString* error);

} // namespace ws
