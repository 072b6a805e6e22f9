// The one renderer of heatmap figures for publication: heatmap image, axes with
// index ticks, colour bar, title and labels, painted with QPainter onto any
// QPaintDevice (QPdfWriter, QSvgGenerator, QImage). No widget is involved: the
// command line's export, the export dialog and the clipboard all call it.
#pragma once

#include "ColorScale.h"
#include "FigureLayout.h"
#include "FigureOptions.h"
#include "MatrixSource.h"

#include <QImage>
#include <QString>

class QPainter;

namespace ws {

/// The heatmap of rows [row0, row0+nRows) x cols [col0, col0+nCols) of \a source as an
/// image: one pixel per cell (Format_RGB32, colours from \a spec) when the region has
/// at most maxRows x maxCols cells, else each pixel the value of largest magnitude of
/// its block (max-|x| pooling). A null image and \a error when the source cannot be read.
QImage heatmapImage(const MatrixSource& source, int64_t row0, int64_t col0, int64_t nRows,
                    int64_t nCols, int maxRows, int maxCols, const ColorScale& spec,
                    QString* error);

/// Lays out (layoutFigure on \a painter's device) and paints the figure of \a source
/// coloured by \a spec with \a options. Images are drawn without smoothing and, in a
/// PDF, without lossy compression; texts stay texts in PDF and SVG. False and
/// \a error when the source cannot be read or the region is empty.
bool renderFigure(QPainter* painter, const MatrixSource& source, const ColorScale& spec,
                  const FigureOptions& options, QString* error);

/// Paints a laid-out figure with \a heatmap (any size; stretched over the plot area
/// without smoothing).
void paintFigure(QPainter* painter, const FigureLayout& layout, const QImage& heatmap,
                 const ColorScale& spec);

} // namespace ws
