// Shared look of the plots: colour maps as QCustomPlot gradients, value
// formatting for readouts, and the fonts and colours every plot uses.
#pragma once

#include "ColorMap.h"
#include "DType.h"

#include <QString>
#include <qcustomplot.h>

namespace ws {

/// The colour map as a QCustomPlot gradient (no interpolation between levels beyond the stops).
QCPColorGradient toGradient(const ColorMap& map);

/// Shortest text that reads back as the same float ("0.1", "-3.25e-05").
QString formatFloat(float v);
/// A value as stored in \a dtype: floats in their shortest exact form, integers whole.
QString formatValue(double v, DType dtype);

/// Axis ticker for element indices: ticks at whole numbers only.
class IndexTicker : public QCPAxisTicker {
protected:
    double getTickStep(const QCPRange& range) override;
};

/// Applies the common fonts, colours and margins to \a plot.
void applyPlotStyle(QCustomPlot* plot);

/// Adds the bold title row above \a plot's axes and returns its text element.
/// A plot title that never widens its plot: it asks for no width of its own and draws
/// its text elided in the middle when the plot is narrower than the text (text()
/// keeps the whole title; the elided part is shown only on screen).
/// \a text fitted into \a width pixels of \a metrics: whole when it fits; else the part
/// before the first three spaces (a tensor's name, followed by its shape and dtype)
/// elided in the middle so that the rest stays whole; else all of it elided in the
/// middle.
QString elideTitle(const QString& text, const QFontMetrics& metrics, int width);

class ElidedTextElement : public QCPTextElement {
public:
    using QCPTextElement::QCPTextElement;

protected:
    QSize minimumOuterSizeHint() const override;
    void draw(QCPPainter* painter) override;
};

QCPTextElement* addPlotTitle(QCustomPlot* plot);

/// Multiplies every font of \a plot (axes, colour scale, titles) by \a factor, for
/// exports larger than a screen.
void scalePlotFonts(QCustomPlot* plot, double factor);

} // namespace ws
