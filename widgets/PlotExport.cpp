// Renders a tensor offscreen through HeatmapWidget / BarChartWidget / ScalarView.
#include "PlotExport.h"

#include "AtomicSave.h"
#include "FileFormat.h"

#include "Analysis.h"
#include "BarChartWidget.h"
#include "ColorMap.h"
#include "HeatmapWidget.h"
#include "PlotStyle.h"
#include "PngWriter.h"
#include "ScalarView.h"

#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>

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

void setDpi(QImage* image, int dpi) {
    image->setDotsPerMeterX(int(std::lround(dpi / 0.0254)));
    image->setDotsPerMeterY(int(std::lround(dpi / 0.0254)));
}

/// Paints a width x height picture into an SVG or PDF file at \a path, through a
/// temporary file renamed into place only when everything was written.
bool saveVector(const QString& path, const QString& format, int width, int height,
                const QString& title, int dpi, const std::function<void(QCPPainter*)>& paint,
                QString* error) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(error, QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    QCPPainter painter;
    QSvgGenerator svg;
    std::unique_ptr<QPdfWriter> pdf;
    if (format == QLatin1String("pdf")) {
        // width x height device pixels at dpi (72 by default): the page is width / dpi inches.
        const int res = dpi > 0 ? dpi : 72;
        pdf = std::make_unique<QPdfWriter>(&file);
        pdf->setTitle(title);
        pdf->setCreator(QStringLiteral("WeightScope"));
        pdf->setResolution(res);
        pdf->setPageMargins(QMarginsF(0, 0, 0, 0));
        pdf->setPageSize(
            QPageSize(QSizeF(width * 72.0 / res, height * 72.0 / res), QPageSize::Point));
        if (!painter.begin(pdf.get()))
            return fail(error, QStringLiteral("cannot write %1").arg(path));
        painter.setMode(QCPPainter::pmVectorized);
        painter.setMode(QCPPainter::pmNoCaching);
    } else {
        svg.setOutputDevice(&file);
        svg.setSize(QSize(width, height));
        svg.setViewBox(QRect(0, 0, width, height));
        if (dpi > 0) svg.setResolution(dpi);
        svg.setTitle(title);
        if (!painter.begin(&svg)) return fail(error, QStringLiteral("cannot write %1").arg(path));
    }
    paint(&painter);
    if (!painter.end()) {
        file.cancelWriting();
        return fail(error, QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    }
    return commitSaveFile(file, path, error);
}

} // namespace

bool savePlotFile(QCustomPlot* plot, const QString& path, int width, int height,
                  const QString& title, int dpi, QString* error) {
    const QString format = QFileInfo(path).suffix().toLower();
    if (format == QLatin1String("png")) {
        QImage image = plot->toPixmap(width, height, 1.0).toImage();
        setDpi(&image, dpi > 0 ? dpi : 96);
        return writePng(image, path, title, error);
    }
    return saveVector(
        path, format, width, height, title, dpi,
        [&](QCPPainter* painter) { plot->toPainter(painter, width, height); }, error);
}

namespace {

bool saveWidget(QWidget* w, const QString& path, const QString& format, int width, int height,
                const QString& title, int dpi, QString* error) {
    w->resize(width, height);
    if (format == QLatin1String("png")) {
        QImage image(width, height, QImage::Format_RGB32);
        image.fill(Qt::white);
        w->render(&image);
        setDpi(&image, dpi > 0 ? dpi : 96);
        return writePng(image, path, title, error);
    }
    return saveVector(
        path, format, width, height, title, dpi, [&](QCPPainter* painter) { w->render(painter); },
        error);
}

// Percentiles of the values (of their magnitudes for a log scale).
std::pair<double, double> percentileRange(const MatrixF& m, bool magnitudes, double pLo,
                                          double pHi) {
    if (!magnitudes) return ws::percentileRange(m.data(), m.size(), pLo, pHi);
    std::vector<float> mags(size_t(m.size()));
    for (Eigen::Index i = 0; i < m.size(); ++i)
        mags[size_t(i)] = std::abs(m.data()[i]);
    return ws::percentileRange(mags.data(), int64_t(mags.size()), pLo, pHi);
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
    if (options.hasPercentile &&
        !(options.pLo >= 0 && options.pLo < options.pHi && options.pHi <= 100))
        return fail(error, QStringLiteral("invalid percentiles %1..%2: need 0 <= low < high <= 100")
                               .arg(options.pLo)
                               .arg(options.pHi));
    if (options.dpi < 0 || options.dpi > 10000)
        return fail(error,
                    QStringLiteral("invalid resolution %1 dpi (1 to 10000)").arg(options.dpi));
    if (options.hasRange && !(options.lo < options.hi))
        return fail(error, QStringLiteral("invalid range %1..%2: low must be below high")
                               .arg(options.lo)
                               .arg(options.hi));
    // A large float32 heatmap is pooled straight from the file, without holding the
    // matrix: what needs every value (percentiles, log ranges, differences) reads it.
    std::shared_ptr<MatrixSource> streamed;
    if (t.rank() >= 2 && !options.hasPercentile && !options.difference &&
        options.scale != ColorScale::Scale::Log)
        streamed = fileSource(t);
    auto values = std::make_shared<MatrixF>();
    QString loadError;
    if (!streamed && !t.values(values.get(), &loadError))
        return fail(error, QStringLiteral("cannot read tensor '%1': %2").arg(t.name, loadError));
    if (t.numel() == 0)
        return fail(error,
                    QStringLiteral("tensor %1 is empty (shape %2)").arg(t.name, t.shapeString()));
    {
        // Fail before reading anything, without touching a file already there (each
        // format is written to a temporary file that replaces it only when complete).
        const QFileInfo target(path);
        const QFileInfo dir(target.absolutePath());
        if (!dir.isDir())
            return fail(error, QStringLiteral("cannot write %1: no such directory").arg(path));
        if (target.isDir())
            return fail(error, QStringLiteral("cannot write %1: it is a directory").arg(path));
    }
    // The widgets keep the tensor for names and exact readouts; a copy is cheap (shared storage).
    auto tensor = std::make_shared<Tensor>(t);
    const QString title = options.title.isEmpty() ? t.name : options.title;
    const int w = options.width, h = options.height;
    bool ok = false;
    QString writeError;
    if (t.rank() >= 2) {
        HeatmapWidget plot;
        if (!streamed)
            plot.setValues(values, tensor);
        else if (!plot.setSource(streamed, tensor, &loadError))
            return fail(error,
                        QStringLiteral("cannot read tensor '%1': %2").arg(t.name, loadError));
        if (options.difference) plot.setDifferenceMode(true);
        if (!options.colormap.isEmpty()) plot.setColorMap(options.colormap);
        plot.setScaleType(options.scale);
        if (options.linearThreshold > 0) plot.setLinearThreshold(options.linearThreshold);
        if (options.hasRange) {
            plot.setColorRange(options.lo, options.hi);
        } else if (options.hasPercentile) {
            const auto [lo, hi] = percentileRange(*values, options.scale == ColorScale::Scale::Log,
                                                  options.pLo, options.pHi);
            if (lo < hi) plot.setColorRange(lo, hi);
        }
        if (!options.title.isEmpty()) plot.setTitle(options.title);
        layOut(&plot, w, h);
        plot.updateGrid();
        if (!plot.sourceError().isEmpty())
            return fail(
                error,
                QStringLiteral("cannot read tensor '%1': %2").arg(t.name, plot.sourceError()));
        ok = savePlotFile(&plot, path, w, h, title, options.dpi, &writeError);
    } else if (t.rank() == 1) {
        BarChartWidget plot;
        plot.setValues(values, tensor);
        if (options.hasRange) {
            plot.yAxis->setRange(options.lo, options.hi);
        } else if (options.hasPercentile) {
            const auto [lo, hi] = percentileRange(*values, false, options.pLo, options.pHi);
            if (lo < hi) plot.yAxis->setRange(lo, hi);
        }
        if (!options.title.isEmpty()) plot.setTitle(options.title);
        layOut(&plot, w, h);
        plot.updateBars();
        ok = savePlotFile(&plot, path, w, h, title, options.dpi, &writeError);
    } else {
        ScalarView view;
        // One element: load it so that wide integers and float64 show exactly.
        QString problem;
        view.setValue(t.check(&problem) ? t.at(0) : double((*values)(0, 0)), tensor);
        ok = saveWidget(&view, path, format, w, h, title, options.dpi, &writeError);
    }
    if (!ok)
        return fail(error, writeError.isEmpty() ? QStringLiteral("cannot write %1").arg(path)
                                                : writeError);
    return true;
}

} // namespace ws
