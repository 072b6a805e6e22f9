// Painting a laid-out heatmap figure: the cells as an image, the frame and ticks
// as lines (0.8 pt, ticks 3.5 pt outwards, as matplotlib's defaults), the colour
// bar as a one-pixel-wide image of the map's entries, texts as text.
#include "FigureRenderer.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPolygonF>
#include <algorithm>
#include <cmath>

namespace ws {

QImage heatmapImage(const MatrixSource& source, int64_t row0, int64_t col0, int64_t nRows,
                    int64_t nCols, int maxRows, int maxCols, const ColorScale& spec,
                    QString* error) {
    PooledGrid grid;
    if (!source.pool(row0, col0, nRows, nCols, std::max(1, maxRows), std::max(1, maxCols), &grid,
                     error))
        return QImage();
    const int h = int(grid.values.rows()), w = int(grid.values.cols());
    if (w == 0 || h == 0) {
        if (error) *error = QStringLiteral("the region to draw is empty");
        return QImage();
    }
    QImage image(w, h, QImage::Format_RGB32);
    for (int r = 0; r < h; ++r) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(r));
        for (int c = 0; c < w; ++c)
            line[c] = spec.colorOf(double(grid.values(r, c)));
    }
    return image;
}

namespace {

// The colour bar's gradient: the map's entries, the highest at the top.
QImage colorBarImage(const ColorScale& spec) {
    const int n = std::max(1, int(spec.map.stops().size()));
    QImage image(1, n, QImage::Format_RGB32);
    for (int i = 0; i < n; ++i)
        image.setPixel(0, n - 1 - i, spec.map.colorAt((i + 0.5) / n));
    return image;
}

void paintText(QPainter* painter, const FigureText& t) {
    painter->save();
    painter->translate(t.origin);
    if (t.vertical) painter->rotate(-90);
    painter->setFont(t.font);
    painter->drawText(QPointF(0, 0), t.text);
    if (!t.sup.isEmpty()) {
        const double x = QFontMetricsF(t.font, painter->device()).horizontalAdvance(t.text);
        painter->setFont(t.supFont);
        painter->drawText(QPointF(x, -t.supRaise), t.sup);
    }
    painter->restore();
}

} // namespace

void paintFigure(QPainter* painter, const FigureLayout& layout, const QImage& heatmap,
                 const ColorScale& spec) {
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, true);
    painter->setRenderHint(QPainter::TextAntialiasing, true);
    // Cells stay cells: nearest neighbour when stretched, and in a PDF no JPEG.
    painter->setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter->setRenderHint(QPainter::LosslessImageRendering, true);
    painter->fillRect(layout.page, Qt::white);
    const QRectF& plot = layout.plot;
    if (!heatmap.isNull()) painter->drawImage(plot, heatmap);

    QPen pen(Qt::black, layout.lineWidth);
    pen.setCapStyle(Qt::FlatCap);
    pen.setJoinStyle(Qt::MiterJoin);
    painter->setPen(pen);
    painter->setBrush(Qt::NoBrush);
    const double half = layout.lineWidth / 2;
    painter->drawRect(plot);
    const double tl = layout.tickLength;
    for (double x : layout.xTicks)
        painter->drawLine(QPointF(x, plot.bottom() + half), QPointF(x, plot.bottom() + tl));
    for (double y : layout.yTicks)
        painter->drawLine(QPointF(plot.left() - half, y), QPointF(plot.left() - tl, y));

    if (!layout.bar.isEmpty()) {
        const QRectF& bar = layout.bar;
        painter->drawImage(bar, colorBarImage(spec));
        QPolygonF outline;
        outline << bar.topRight();
        if (layout.overTriangle > 0) {
            const QPolygonF tri({bar.topLeft(), bar.topRight(),
                                 QPointF(bar.center().x(), bar.top() - layout.overTriangle)});
            painter->setPen(Qt::NoPen);
            painter->setBrush(QColor::fromRgb(spec.over));
            painter->drawPolygon(tri);
            outline << tri[2];
        }
        outline << bar.topLeft() << bar.bottomLeft();
        if (layout.underTriangle > 0) {
            const QPolygonF tri({bar.bottomLeft(), bar.bottomRight(),
                                 QPointF(bar.center().x(), bar.bottom() + layout.underTriangle)});
            painter->setPen(Qt::NoPen);
            painter->setBrush(QColor::fromRgb(spec.under));
            painter->drawPolygon(tri);
            outline << tri[2];
        }
        outline << bar.bottomRight();
        painter->setPen(pen);
        painter->setBrush(Qt::NoBrush);
        painter->drawPolygon(outline);
        for (double y : layout.barTicks)
            painter->drawLine(QPointF(bar.right() + half, y), QPointF(bar.right() + tl, y));
    }

    painter->setPen(Qt::black);
    for (const FigureText& t : layout.texts)
        paintText(painter, t);
    painter->restore();
}

bool renderFigure(QPainter* painter, const MatrixSource& source, const ColorScale& spec,
                  const FigureOptions& options, QString* error) {
    const FigureLayout layout =
        layoutFigure(options, spec, source.rows(), source.cols(), painter->device());
    if (layout.nRows <= 0 || layout.nCols <= 0) {
        if (error) *error = QStringLiteral("nothing to draw: the region shown is empty");
        return false;
    }
    // At most one image pixel per pixel of the plot area at the figure's raster resolution.
    const double inch = 72 * layout.unit;
    const int maxCols = int(std::ceil(layout.plot.width() / inch * options.dpi - 1e-6));
    const int maxRows = int(std::ceil(layout.plot.height() / inch * options.dpi - 1e-6));
    const QImage image = heatmapImage(source, layout.row0, layout.col0, layout.nRows, layout.nCols,
                                      maxRows, maxCols, spec, error);
    if (image.isNull()) return false;
    paintFigure(painter, layout, image, spec);
    return true;
}

} // namespace ws
