// Headless export of a tensor to PNG, SVG or PDF for the command line: a heatmap
// (rank >= 2) through the model's figure renderer, no widget involved; a bar chart
// (rank 1) and a value card (rank 0) through their widgets, at the same physical
// sizes. Also the plots' own file writer, used by the export dialog for plots that
// are not heatmaps.
#pragma once

#include "ColorScale.h"
#include "FigureOptions.h"
#include "MatrixSource.h"
#include "Tensor.h"

#include <QSize>
#include <QString>
#include <memory>
#include <optional>

class QCustomPlot;

namespace ws {

struct ExportOptions {
    QString colormap;      // empty = default for the data (sequential for --scale log)
    bool hasRange = false; // else automatic (symmetric for signed data)
    double lo = 0, hi = 0;
    ColorScale::Scale scale = ColorScale::Scale::Linear; // heatmap value transform
    double linearThreshold = 0; // symlog: linear within +-threshold; 0 = the widget's default
    bool hasPercentile = false; // range from percentiles pLo..pHi of the data (of |x| for log)
    double pLo = 1, pHi = 99;
    bool difference = false; // the values are differences: diverging colours centred at zero
    /// Physical size, font family and size; its texts and dpi are set from the fields
    /// below. Defaults: 6.4 x 4.8 in, 10 pt (matplotlib's).
    FigureOptions figure;
    double dpi = 0;  ///< pixels per inch of rasters; 0: 100 for PNG, 300 inside PDF/SVG
    QSize pixelSize; ///< when valid, the figure is this many pixels at dpi (a PNG exactly)
    std::optional<QString> title;          ///< unset: the tensor's name; empty: no title
    std::optional<QString> xLabel, yLabel; ///< unset: defaultAxisLabels
    std::optional<QString> colorBarLabel;  ///< unset: none ("|value|" for log, "difference")
    QString layerKind; ///< the layer tree's kind of the tensor's module (for the axis labels)
};

/// The source a heatmap of \a t reads: straight from its file when it is still there
/// unedited (fileSource), else its values in memory. Null and \a error when they
/// cannot be read. (One place to choose, for when every tensor has one source.)
std::shared_ptr<const MatrixSource> exportSource(const Tensor& t, QString* error);

/// Writes \a plot drawn at widthPt x heightPt points to \a path (.png at \a dpi, .svg or
/// .pdf of that physical size) through a temporary file that replaces \a path only
/// when complete. The plot's fonts keep their point sizes.
bool savePlotFile(QCustomPlot* plot, const QString& path, double widthPt, double heightPt,
                  double dpi, const QString& title, QString* error);

/// Renders \a t (heatmap for rank >= 2, bar chart for rank 1, a value card for rank 0)
/// to \a path; the extension selects .png, .svg or .pdf. Needs a QApplication.
bool exportTensorImage(const Tensor& t, const QString& path, const ExportOptions& options,
                       QString* error);

} // namespace ws
