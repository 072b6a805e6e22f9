// Headless export: heatmaps through renderFigure (model/render), bar charts and
// values through their widgets drawn at the figure's physical size.
#include "PlotExport.h"

#include "Analysis.h"
#include "BarChartWidget.h"
#include "ColorMap.h"
#include "FigureExport.h"
#include "HeatmapColors.h"
#include "PlotStyle.h"
#include "ScalarView.h"

#include <QFileInfo>
#include <QGuiApplication>
#include <QScreen>
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace ws {

namespace {

bool fail(QString* error, const QString& message) {
    if (error) *error = message;
    return false;
}

// QCustomPlot and QWidget measure text at the screen's resolution: paint them on a
// device of that resolution so that what they measured is what they draw.
double screenDpi() {
    const QScreen* s = QGuiApplication::primaryScreen();
    const double dpi = s ? s->logicalDotsPerInchY() : 96;
    return dpi > 0 ? dpi : 96;
}

/// Paints with \a paint (given the painter and the size in device units at the screen's
/// resolution) into a figure file of widthPt x heightPt.
bool savePainted(const QString& path, double widthPt, double heightPt, double dpi,
                 const QString& title, const std::function<void(QCPPainter*, int, int)>& paint,
                 QString* error) {
    const double screen = screenDpi();
    FigureFile file;
    if (!file.open(path, widthPt, heightPt, dpi, title, error, screen)) return false;
    const int w = std::max(1, int(std::lround(file.widthPt() / 72 * screen)));
    const int h = std::max(1, int(std::lround(file.heightPt() / 72 * screen)));
    QCPPainter painter;
    if (!painter.begin(file.device()))
        return fail(error, QStringLiteral("cannot write %1").arg(path));
    if (!QFileInfo(path).suffix().compare(QLatin1String("png"), Qt::CaseInsensitive)) {
        painter.scale(file.deviceScale(), file.deviceScale());
    } else {
        painter.setMode(QCPPainter::pmVectorized);
        painter.setMode(QCPPainter::pmNoCaching);
    }
    paint(&painter, w, h);
    painter.end();
    return file.finish(error);
}

// Smallest non-zero and largest finite magnitude (0, 0 when there is none).
bool magnitudeRange(const MatrixSource& s, double* lo, double* hi, QString* error) {
    float mn = std::numeric_limits<float>::infinity(), mx = 0;
    const bool ok = s.forEachTile(
        0, 0, s.rows(), s.cols(),
        [&](const MatrixSource::Tile& t) {
            for (int64_t r = 0; r < t.nRows; ++r)
                for (int64_t c = 0; c < t.nCols; ++c) {
                    const float a = std::fabs(t.data[r * t.stride + c]);
                    if (a > 0 && std::isfinite(a)) {
                        mn = std::min(mn, a);
                        mx = std::max(mx, a);
                    }
                }
        },
        error);
    *lo = mx > 0 ? double(mn) : 0;
    *hi = double(mx);
    return ok;
}

// Every value (or non-zero magnitude), for percentiles.
bool allValues(const MatrixSource& s, bool magnitudes, std::vector<float>* out, QString* error) {
    out->clear();
    return s.forEachTile(
        0, 0, s.rows(), s.cols(),
        [&](const MatrixSource::Tile& t) {
            for (int64_t r = 0; r < t.nRows; ++r)
                for (int64_t c = 0; c < t.nCols; ++c) {
                    const float v = t.data[r * t.stride + c];
                    if (!magnitudes)
                        out->push_back(v);
                    else if (v != 0)
                        out->push_back(std::fabs(v));
                }
        },
        error);
}

/// The colours of the export, as the heatmap on screen chooses them: the map (RdBu_r
/// for differences, a sequential one for log |x|), scale, range and under/over colours;
/// \a under / \a over: data lie beyond the range.
bool exportColors(const MatrixSource& source, const ExportOptions& o, ColorScale* spec, bool* under,
                  bool* over, QString* error) {
    double mn = 0, mx = 0;
    if (!source.finiteMinMax(&mn, &mx, error)) return false;
    const bool log = o.scale == ColorScale::Scale::Log;
    const QString name = o.difference            ? QStringLiteral("RdBu_r")
                         : !o.colormap.isEmpty() ? o.colormap
                         : log                   ? QStringLiteral("viridis")
                                                 : ColorMap::defaultFor(mn, mx);
    if (!ColorMap::byName(name, &spec->map))
        return fail(error, QStringLiteral("unknown colour map '%1'").arg(name));
    spec->scale = o.scale;
    spec->linearThreshold = o.linearThreshold > 0 ? o.linearThreshold : 1e-3;
    double lo = 0, hi = 0;
    if (o.hasRange) {
        lo = o.lo;
        hi = o.hi;
    } else if (o.hasPercentile) {
        std::vector<float> values;
        if (!allValues(source, log, &values, error)) return false;
        std::tie(lo, hi) = percentileRange(values.data(), int64_t(values.size()), o.pLo, o.pHi);
    } else if (log) {
        if (!magnitudeRange(source, &lo, &hi, error)) return false;
    } else if (o.difference) {
        const double m = std::max(std::fabs(mn), std::fabs(mx));
        lo = m > 0 ? -m : -1;
        hi = m > 0 ? m : 1;
    } else {
        std::tie(lo, hi) = defaultRange(mn, mx);
    }
    if (!(lo < hi)) {
        // One value (or none): a range around it, as the heatmap widget does.
        const double c = lo, d = c == 0 ? 1.0 : std::fabs(c) * 0.5;
        if (log) {
            lo = c > 0 ? c / 2 : 0.1;
            hi = c > 0 ? c * 2 : 1;
        } else {
            lo = c - d;
            hi = c + d;
        }
    }
    if (log && hi > 0 && lo <= 0) lo = hi * 1e-6;
    spec->lo = lo;
    spec->hi = hi;
    chooseOutOfRangeColors(spec);
    *under = !log && spec->position(mn) < 0;
    *over = spec->position(mx) > 1 || spec->position(mn) > 1;
    return true;
}

} // namespace

std::shared_ptr<const MatrixSource> exportSource(const Tensor& t, QString* error) {
    // Read tile by tile from the file (plus edits): a figure of a 6 GB tensor makes no
    // copy of it.
    if (!t.check(error)) return nullptr;
    return tensorSource(std::make_shared<Tensor>(t));
}

bool savePlotFile(QCustomPlot* plot, const QString& path, double widthPt, double heightPt,
                  double dpi, const QString& title, QString* error) {
    return savePainted(
        path, widthPt, heightPt, dpi, title,
        [plot](QCPPainter* painter, int w, int h) { plot->toPainter(painter, w, h); }, error);
}

bool exportTensorImage(const Tensor& t, const QString& path, const ExportOptions& options,
                       QString* error) {
    const QString format = QFileInfo(path).suffix().toLower();
    const bool png = format == QLatin1String("png");
    if (!png && format != QLatin1String("svg") && format != QLatin1String("pdf"))
        return fail(error, QStringLiteral("%1: unknown image type '%2' (use .png, .svg or .pdf)")
                               .arg(path, format));
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
    FigureOptions fig = options.figure;
    fig.dpi = options.dpi > 0 ? options.dpi : png ? 100 : 300;
    if (options.pixelSize.isValid()) {
        const int w = options.pixelSize.width(), h = options.pixelSize.height();
        if (w < 16 || h < 16 || w > 16384 || h > 16384)
            return fail(error,
                        QStringLiteral("%1: image size %2 x %3 is out of range (16 to 16384)")
                            .arg(path)
                            .arg(w)
                            .arg(h));
        fig.widthPt = w * 72.0 / fig.dpi;
        fig.heightPt = h * 72.0 / fig.dpi;
    }
    if (!(fig.widthPt >= 36 && fig.heightPt >= 36 && fig.widthPt <= 14400 && fig.heightPt <= 14400))
        return fail(error, QStringLiteral("%1: figure size %2 x %3 in is out of range (0.5 to "
                                          "200 in)")
                               .arg(path)
                               .arg(fig.widthPt / 72, 0, 'g', 4)
                               .arg(fig.heightPt / 72, 0, 'g', 4));
    if (png &&
        (pixelsFor(fig.widthPt, fig.dpi) > 16384 || pixelsFor(fig.heightPt, fig.dpi) > 16384))
        return fail(error, QStringLiteral("%1: %2 x %3 pixels is too large (at most 16384 each)")
                               .arg(path)
                               .arg(pixelsFor(fig.widthPt, fig.dpi))
                               .arg(pixelsFor(fig.heightPt, fig.dpi)));
    if (t.numel() == 0)
        return fail(error,
                    QStringLiteral("tensor %1 is empty (shape %2)").arg(t.name, t.shapeString()));
    {
        // Fail before reading anything, without touching a file already there (each
        // format is written to a temporary file that replaces it only when complete).
        const QFileInfo target(path);
        if (!QFileInfo(target.absolutePath()).isDir())
            return fail(error, QStringLiteral("cannot write %1: no such directory").arg(path));
        if (target.isDir())
            return fail(error, QStringLiteral("cannot write %1: it is a directory").arg(path));
    }
    const QString title = options.title.value_or(t.name);
    const auto unreadable = [&](const QString& problem) {
        return fail(error, QStringLiteral("cannot read tensor '%1': %2").arg(t.name, problem));
    };
    QString problem;
    if (t.rank() >= 2) {
        const std::shared_ptr<const MatrixSource> source = exportSource(t, &problem);
        if (!source) return unreadable(problem);
        ColorScale spec;
        if (!exportColors(*source, options, &spec, &fig.extendUnder, &fig.extendOver, &problem))
            return unreadable(problem);
        QString x, y;
        defaultAxisLabels(t, options.layerKind, &x, &y);
        fig.title = title;
        fig.xLabel = options.xLabel.value_or(x);
        fig.yLabel = options.yLabel.value_or(y);
        const QString barLabel = options.difference ? QStringLiteral("difference")
                                 : options.scale == ColorScale::Scale::Log
                                     ? QStringLiteral("|value|")
                                     : QString();
        fig.colorBarLabel = options.colorBarLabel.value_or(barLabel);
        return writeFigure(path, *source, spec, fig, error);
    }
    // A bar chart or a value card: the widgets draw them at the figure's size, their
    // fonts scaled to the figure's font size.
    auto tensor = std::make_shared<Tensor>(t);
    auto values = std::make_shared<MatrixF>();
    if (!t.values(values.get(), &problem)) return unreadable(problem);
    const double w = fig.widthPt / 72 * screenDpi(), h = fig.heightPt / 72 * screenDpi();
    if (t.rank() == 1) {
        BarChartWidget plot;
        plot.setValues(values, tensor);
        if (options.hasRange) {
            plot.yAxis->setRange(options.lo, options.hi);
        } else if (options.hasPercentile) {
            const auto [lo, hi] =
                percentileRange(values->data(), values->size(), options.pLo, options.pHi);
            if (lo < hi) plot.yAxis->setRange(lo, hi);
        }
        plot.setTitle(title);
        const double base = plot.xAxis->tickLabelFont().pointSizeF();
        if (base > 0) scalePlotFonts(&plot, std::max(fig.fontSizePt, 6.0) / base);
        plot.resize(int(std::lround(w)), int(std::lround(h)));
        plot.replot(QCustomPlot::rpImmediateRefresh);
        plot.updateBars();
        return savePlotFile(&plot, path, fig.widthPt, fig.heightPt, fig.dpi, title, error);
    }
    ScalarView view;
    // One element: load it so that wide integers and float64 show exactly.
    view.setValue(t.check(&problem) ? t.at(0) : double((*values)(0, 0)), tensor);
    return savePainted(
        path, fig.widthPt, fig.heightPt, fig.dpi, title,
        [&view](QCPPainter* painter, int pw, int ph) {
            view.resize(pw, ph);
            view.render(painter);
        },
        error);
}

} // namespace ws
