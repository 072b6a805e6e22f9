// Shared look of the plots and value formatting.
#include "PlotStyle.h"

#include <cmath>

namespace ws {

QCPColorGradient toGradient(const ColorMap& map) {
    QCPColorGradient g;
    g.clearColorStops();
    const QVector<QColor>& stops = map.stops();
    const int n = stops.size();
    for (int i = 0; i < n; ++i)
        g.setColorStopAt(n > 1 ? double(i) / (n - 1) : 0.0, stops[i]);
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    g.setLevelCount(512);
    g.setNanHandling(QCPColorGradient::nhNanColor);
    g.setNanColor(QColor(255, 0, 255));
    g.setPeriodic(false);
    return g;
}

QString formatFloat(float v) {
    if (std::isnan(v)) return QStringLiteral("nan");
    if (std::isinf(v)) return v > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
    for (int precision = 6; precision < 9; ++precision) {
        const QString s = QString::number(double(v), 'g', precision);
        if (s.toFloat() == v) return s;
    }
    return QString::number(double(v), 'g', 9);
}

QString formatValue(double v, DType dtype) {
    switch (dtype) {
    case DType::Float64:
        if (std::isnan(v)) return QStringLiteral("nan");
        return QString::number(v, 'g', QLocale::FloatingPointShortest);
    case DType::Bool:
        return v != 0 ? QStringLiteral("True") : QStringLiteral("False");
    case DType::Int64:
    case DType::Int32:
    case DType::Int16:
    case DType::Int8:
    case DType::UInt8:
    case DType::UInt16:
    case DType::UInt32:
    case DType::UInt64:
        return QString::number(v, 'f', 0);
    default:
        return formatFloat(float(v));
    }
}

double IndexTicker::getTickStep(const QCPRange& range) {
    return std::max(1.0, std::round(QCPAxisTicker::getTickStep(range)));
}

void applyPlotStyle(QCustomPlot* plot) {
    QFont tick = plot->font();
    tick.setPointSizeF(std::max(9.0, tick.pointSizeF()));
    QFont label = tick;
    label.setPointSizeF(tick.pointSizeF() + 1);
    for (QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
        axis->setTickLabelFont(tick);
        axis->setLabelFont(label);
        axis->setNumberFormat(QStringLiteral("g"));
        axis->setNumberPrecision(6);
    }
    plot->setBackground(Qt::white);
    plot->setNoAntialiasingOnDrag(true);
}

namespace {

QFont scaled(QFont f, double factor) {
    f.setPointSizeF(f.pointSizeF() * factor);
    return f;
}

void scaleAxis(QCPAxis* axis, double factor) {
    axis->setTickLabelFont(scaled(axis->tickLabelFont(), factor));
    axis->setLabelFont(scaled(axis->labelFont(), factor));
    axis->setTickLengthIn(int(axis->tickLengthIn() * factor));
    axis->setSubTickLengthIn(int(axis->subTickLengthIn() * factor));
    axis->setTickLabelPadding(int(axis->tickLabelPadding() * factor));
    axis->setLabelPadding(int(axis->labelPadding() * factor));
}

} // namespace

QSize ElidedTextElement::minimumOuterSizeHint() const {
    QSize s = QCPTextElement::minimumOuterSizeHint();
    s.setWidth(mMargins.left() + mMargins.right());
    return s;
}

QString elideTitle(const QString& text, const QFontMetrics& metrics, int width) {
    if (text.contains(QLatin1Char('\n'))) { // each line on its own
        QStringList lines = text.split(QLatin1Char('\n'));
        for (QString& line : lines)
            line = elideTitle(line, metrics, width);
        return lines.join(QLatin1Char('\n'));
    }
    width = std::max(0, width);
    if (metrics.horizontalAdvance(text) <= width) return text;
    const int split = int(text.indexOf(QLatin1String("   ")));
    if (split > 0) {
        const QString tail = text.mid(split);
        const int room = width - metrics.horizontalAdvance(tail);
        // the name keeps at least a few characters and the ellipsis
        if (room >= metrics.horizontalAdvance(text.left(std::min(split, 6)) + QChar(0x2026)))
            return metrics.elidedText(text.left(split), Qt::ElideMiddle, room) + tail;
    }
    return metrics.elidedText(text, Qt::ElideMiddle, width);
}

void ElidedTextElement::draw(QCPPainter* painter) {
    const QString full = mText;
    const QString shown = elideTitle(full, QFontMetrics(mainFont()), mRect.width());
    if (shown == full) return QCPTextElement::draw(painter);
    mText = shown; // drawn elided, kept whole
    QCPTextElement::draw(painter);
    mText = full;
}

QCPTextElement* addPlotTitle(QCustomPlot* plot) {
    plot->plotLayout()->insertRow(0);
    QFont titleFont = plot->font();
    titleFont.setPointSizeF(std::max(10.0, plot->font().pointSizeF() + 1));
    titleFont.setBold(true);
    auto* title = new ElidedTextElement(plot, QString(), titleFont);
    plot->plotLayout()->addElement(0, 0, title);
    return title;
}

void scalePlotFonts(QCustomPlot* plot, double factor) {
    if (factor == 1.0) return;
    for (QCPLayoutElement* e : plot->plotLayout()->elements(true)) {
        if (auto* rect = qobject_cast<QCPAxisRect*>(e)) {
            for (QCPAxis* axis : rect->axes())
                scaleAxis(axis, factor);
        } else if (auto* scale = qobject_cast<QCPColorScale*>(e)) {
            scaleAxis(scale->axis(), factor);
            scale->setBarWidth(int(scale->barWidth() * factor));
        } else if (auto* text = qobject_cast<QCPTextElement*>(e)) {
            text->setFont(scaled(text->font(), factor));
        }
    }
}

} // namespace ws
