// Renders a tensor offscreen through HeatmapWidget / BarChartWidget / ScalarView.
#include "PlotExport.h"

#include "BarChartWidget.h"
#include "ColorMap.h"
#include "HeatmapWidget.h"
#include "PlotStyle.h"
#include "ScalarView.h"

#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <algorithm>

namespace ws {

namespace {

bool fail(QString* error, const QString& message) {
    if (error) *error = message;
    return false;
}

// Lays \a plot out at exactly width x height without showing it; text grows with
// images larger than a typical plot on screen.
void layOut(QCustomPlot* plot, int width, int height) {
    scalePlotFonts(plot, std::max(1.0, std::min(width, height) / 700.0));
    plot->resize(width, height);
    plot->setViewport(QRect(0, 0, width, height));
    plot->replot(QCustomPlot::rpImmediateRefresh);
}

bool savePlot(QCustomPlot* plot, const QString& path, const QString& format, int width, int height,
              const QString& title) {
    if (format == QLatin1String("png")) return plot->savePng(path, width, height, 1.0);
    if (format == QLatin1String("pdf"))
        return plot->savePdf(path, width, height, QCP::epAllowCosmetic,
                             QStringLiteral("WeightScope"), title);
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(QSize(width, height));
    svg.setViewBox(QRect(0, 0, width, height));
    svg.setTitle(title);
    QCPPainter painter;
    if (!painter.begin(&svg)) return false;
    plot->toPainter(&painter, width, height);
    return painter.end();
}

bool saveWidget(QWidget* w, const QString& path, const QString& format, int width, int height,
                const QString& title) {
    w->resize(width, height);
    if (format == QLatin1String("png")) {
        QImage image(width, height, QImage::Format_ARGB32);
        image.fill(Qt::white);
        w->render(&image);
        return image.save(path, "PNG");
    }
    QPainter painter;
    QSvgGenerator svg;
    QPdfWriter pdf(format == QLatin1String("pdf") ? path : QString());
    if (format == QLatin1String("svg")) {
        svg.setFileName(path);
        svg.setSize(QSize(width, height));
        svg.setViewBox(QRect(0, 0, width, height));
        svg.setTitle(title);
        if (!painter.begin(&svg)) return false;
    } else {
        pdf.setTitle(title);
        pdf.setCreator(QStringLiteral("WeightScope"));
        pdf.setResolution(72);
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        pdf.setPageSize(QPageSize(QSizeF(width, height), QPageSize::Point));
        if (!painter.begin(&pdf)) return false;
    }
    w->render(&painter);
    return painter.end();
}

} // namespace

bool exportTensorImage(const Tensor& t, const QString& path, const ExportOptions& options,
                       QString* error) {
    const QString format = QFileInfo(path).suffix().toLower();
    if (format != QLatin1String("png") && format != QLatin1String("svg") &&
        format != QLatin1String("pdf"))
        return fail(error, QStringLiteral("%1: unknown image type '%2' (use .png, .svg or .pdf)")
                               .arg(path, format));
    if (options.width < 16 || options.height < 16 || options.width > 16384 ||
        options.height > 16384)
        return fail(error, QStringLiteral("%1: image size %2 x %3 is out of range (16 to 16384)")
                               .arg(path)
                               .arg(options.width)
                               .arg(options.height));
    if (!options.colormap.isEmpty()) {
        ColorMap probe;
        if (!ColorMap::byName(options.colormap, &probe))
            return fail(error,
                        QStringLiteral("unknown colour map '%1' (known: %2)")
                            .arg(options.colormap, ColorMap::names().join(QLatin1String(", "))));
    }
    if (options.hasRange && !(options.lo < options.hi))
        return fail(error, QStringLiteral("invalid range %1..%2: low must be below high")
                               .arg(options.lo)
                               .arg(options.hi));
    auto values = std::make_shared<MatrixF>();
    QString loadError;
    if (!t.values(values.get(), &loadError))
        return fail(error, QStringLiteral("cannot read tensor %1: %2").arg(t.name, loadError));
    if (values->size() == 0)
        return fail(error,
                    QStringLiteral("tensor %1 is empty (shape %2)").arg(t.name, t.shapeString()));
    {
        QFile probe(path);
        if (!probe.open(QIODevice::WriteOnly))
            return fail(error,
                        QStringLiteral("cannot write %1: %2").arg(path, probe.errorString()));
    }
    // The widgets keep the tensor for names and exact readouts; a copy is cheap (shared storage).
    auto tensor = std::make_shared<Tensor>(t);
    const QString title = options.title.isEmpty() ? t.name : options.title;
    const int w = options.width, h = options.height;
    bool ok = false;
    if (t.rank() >= 2) {
        HeatmapWidget plot;
        plot.setValues(values, tensor);
        if (!options.colormap.isEmpty()) plot.setColorMap(options.colormap);
        if (options.hasRange) plot.setColorRange(options.lo, options.hi);
        if (!options.title.isEmpty()) plot.setTitle(options.title);
        layOut(&plot, w, h);
        plot.updateGrid();
        ok = savePlot(&plot, path, format, w, h, title);
    } else if (t.rank() == 1) {
        BarChartWidget plot;
        plot.setValues(values, tensor);
        if (options.hasRange) plot.yAxis->setRange(options.lo, options.hi);
        if (!options.title.isEmpty()) plot.setTitle(options.title);
        layOut(&plot, w, h);
        plot.updateBars();
        ok = savePlot(&plot, path, format, w, h, title);
    } else {
        ScalarView view;
        view.setValue(t.storage && t.storage->isLoaded() ? t.at(0) : double((*values)(0, 0)),
                      tensor);
        ok = saveWidget(&view, path, format, w, h, title);
    }
    if (!ok) {
        QFile::remove(path);
        return fail(error, QStringLiteral("cannot write %1").arg(path));
    }
    return true;
}

} // namespace ws
