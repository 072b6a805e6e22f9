// `weightscope export FILE TENSOR -o OUT [--colormap NAME] [--range LO:HI | --percentile
// LO:HI] [--scale S] [--width L] [--height L] [--font-size PT] [--size WxH] [--dpi N]
// [--title T] [--diff OTHER] [--complex PART] ...`: one tensor (or an indexed view, or its
// difference from another file's) to a publication figure or to values.
#include "CliSupport.h"
#include "ColorMap.h"
#include "FigureOptions.h"
#include "NpyExport.h"
#include "PlotExport.h"
#include "StatsCommand.h"

#include <QApplication>
#include <QCoreApplication>
#include <QFileInfo>
#include <cmath>
#include <memory>
#include <optional>

namespace ws::cli {

namespace {

QtMessageHandler g_previousHandler = nullptr;

// Headless runs have no XDG_RUNTIME_DIR; Qt's note about it is noise on a command line.
void quietHandler(QtMsgType type, const QMessageLogContext& context, const QString& message) {
    if (type == QtWarningMsg &&
        message.startsWith(QLatin1String("QStandardPaths: XDG_RUNTIME_DIR")))
        return;
    if (g_previousHandler) g_previousHandler(type, context, message);
}

struct ExportRequest {
    QString file, tensor, output, suffix, diff;
    std::optional<ComplexPart> part; ///< --complex
    bool hasHeight = false, hasWidth = false, hasFontSize = false;
    ExportOptions options;
};

bool parsePair(const QString& text, double* lo, double* hi) {
    const QStringList parts = text.split(QLatin1Char(':'));
    if (parts.size() != 2) return false;
    bool okLo = false, okHi = false;
    *lo = parts[0].trimmed().toDouble(&okLo);
    *hi = parts[1].trimmed().toDouble(&okHi);
    return okLo && okHi && std::isfinite(*lo) && std::isfinite(*hi) && *lo < *hi;
}

bool parseRange(const QString& text, ExportOptions* o) {
    if (!parsePair(text, &o->lo, &o->hi)) return false;
    o->hasRange = true;
    return true;
}

bool parsePercentile(const QString& text, ExportOptions* o) {
    if (!parsePair(text, &o->pLo, &o->pHi) || o->pLo < 0 || o->pHi > 100) return false;
    o->hasPercentile = true;
    return true;
}

// This file's tensor minus \a other's (same shape): float32, or float64 when both are.
TensorPtr difference(const Tensor& a, const Tensor& b, const QString& name, QString* error) {
    std::vector<double> va, vb;
    if (!a.valuesDouble(&va, error) || !b.valuesDouble(&vb, error)) return nullptr;
    auto t = std::make_shared<Tensor>();
    t->name = name;
    t->inputMajor = a.inputMajor;
    t->setContiguousShape(a.shape);
    QByteArray bytes;
    if (a.dtype == DType::Float64 && b.dtype == DType::Float64) {
        t->dtype = DType::Float64;
        bytes.resize(qsizetype(va.size() * sizeof(double)));
        auto* d = reinterpret_cast<double*>(bytes.data());
        for (size_t i = 0; i < va.size(); ++i)
            d[i] = va[i] - vb[i];
    } else {
        t->dtype = DType::Float32;
        bytes.resize(qsizetype(va.size() * sizeof(float)));
        auto* d = reinterpret_cast<float*>(bytes.data());
        for (size_t i = 0; i < va.size(); ++i)
            d[i] = float(va[i] - vb[i]);
    }
    t->storage = Storage::fromBytes(bytes, name);
    return t;
}

bool parseSize(const QString& text, ExportOptions* o) {
    const QStringList parts = text.toLower().split(QLatin1Char('x'));
    if (parts.size() != 2) return false;
    bool okW = false, okH = false;
    const int w = parts[0].toInt(&okW), h = parts[1].toInt(&okH);
    if (!okW || !okH || w < 16 || h < 16 || w > 16384 || h > 16384) return false;
    o->pixelSize = QSize(w, h);
    return true;
}

// Returns -1 when parsing succeeded, else the exit code after reporting.
int parse(const QStringList& args, ExportRequest* r) {
    QStringList positional;
    bool optionsDone = false;
    for (int i = 0; i < args.size(); ++i) {
        QString a = args[i];
        if (optionsDone || !looksLikeOption(a)) {
            positional << a;
            continue;
        }
        if (a == QLatin1String("--")) {
            optionsDone = true;
            continue;
        }
        if (a == QLatin1String("-h") || a == QLatin1String("--help")) {
            out(exportHelp());
            return Success;
        }
        QString name = a, value;
        bool hasValue = false;
        const int eq = a.indexOf(QLatin1Char('='));
        if (a.startsWith(QLatin1String("--")) && eq > 0) {
            name = a.left(eq);
            value = a.mid(eq + 1);
            hasValue = true;
        }
        static const QStringList kKnown = {
            QStringLiteral("-o"),          QStringLiteral("--output"),
            QStringLiteral("--colormap"),  QStringLiteral("--range"),
            QStringLiteral("--size"),      QStringLiteral("--percentile"),
            QStringLiteral("--diff"),      QStringLiteral("--scale"),
            QStringLiteral("--dpi"),       QStringLiteral("--title"),
            QStringLiteral("--linthresh"), QStringLiteral("--width"),
            QStringLiteral("--height"),    QStringLiteral("--font-size"),
            QStringLiteral("--font"),      QStringLiteral("--cbar-label"),
            QStringLiteral("--xlabel"),    QStringLiteral("--ylabel"),
            QStringLiteral("--complex")};
        const bool known = kKnown.contains(name);
        if (!known)
            return fail(BadUsage, QStringLiteral("export: unknown option '%1' (see `weightscope "
                                                 "help export`)")
                                      .arg(a));
        if (!hasValue) {
            if (i + 1 >= args.size())
                return fail(BadUsage, QStringLiteral("export: option %1 needs a value").arg(name));
            value = args[++i];
        }
        if (name == QLatin1String("-o") || name == QLatin1String("--output")) {
            r->output = value;
        } else if (name == QLatin1String("--colormap")) {
            ColorMap map;
            if (!ColorMap::byName(value, &map))
                return fail(BadUsage, QStringLiteral("export: unknown colormap '%1' (known: %2)")
                                          .arg(value, ColorMap::names().join(QLatin1String(", "))));
            r->options.colormap = value;
        } else if (name == QLatin1String("--range")) {
            if (!parseRange(value, &r->options))
                return fail(BadUsage, QStringLiteral("export: bad --range '%1' (expected LO:HI "
                                                     "with LO < HI, e.g. -0.5:0.5)")
                                          .arg(value));
        } else if (name == QLatin1String("--percentile")) {
            if (!parsePercentile(value, &r->options))
                return fail(BadUsage, QStringLiteral("export: bad --percentile '%1' (expected "
                                                     "LO:HI with 0 <= LO < HI <= 100, e.g. 1:99)")
                                          .arg(value));
        } else if (name == QLatin1String("--diff")) {
            r->diff = value;
        } else if (name == QLatin1String("--scale")) {
            if (!ColorScale::parseScale(value, &r->options.scale))
                return fail(BadUsage,
                            QStringLiteral("export: unknown --scale '%1' (known: %2)")
                                .arg(value, ColorScale::scaleNames().join(QLatin1String(", "))));
        } else if (name == QLatin1String("--linthresh")) {
            bool ok = false;
            r->options.linearThreshold = value.toDouble(&ok);
            if (!ok || !(r->options.linearThreshold > 0) ||
                !std::isfinite(r->options.linearThreshold))
                return fail(
                    BadUsage,
                    QStringLiteral("export: bad --linthresh '%1' (a positive number)").arg(value));
        } else if (name == QLatin1String("--dpi")) {
            bool ok = false;
            r->options.dpi = value.toDouble(&ok);
            if (!ok || !(r->options.dpi >= 1) || r->options.dpi > 10000)
                return fail(BadUsage,
                            QStringLiteral("export: bad --dpi '%1' (1 to 10000)").arg(value));
        } else if (name == QLatin1String("--width") || name == QLatin1String("--height")) {
            double pt = 0;
            if (!parseLength(value, &pt) || pt < 36 || pt > 14400)
                return fail(BadUsage, QStringLiteral("export: bad %1 '%2' (a length with its "
                                                     "unit, 0.5 to 200 in: 3.5in, 8.9cm, 89mm, "
                                                     "252pt)")
                                          .arg(name, value));
            if (name == QLatin1String("--width")) {
                r->options.figure.widthPt = pt;
                r->hasWidth = true;
            } else {
                r->options.figure.heightPt = pt;
                r->hasHeight = true;
            }
        } else if (name == QLatin1String("--font-size")) {
            bool ok = false;
            const double pt = value.toDouble(&ok);
            if (!ok || !(pt >= FigureOptions::kMinFontPt) || pt > 72)
                return fail(
                    BadUsage,
                    QStringLiteral("export: bad --font-size '%1' (points, 6 to 72)").arg(value));
            r->options.figure.fontSizePt = pt;
            r->hasFontSize = true;
        } else if (name == QLatin1String("--font")) {
            if (value.trimmed().isEmpty())
                return fail(BadUsage, QStringLiteral("export: --font needs a family name"));
            r->options.figure.fontFamily = value;
        } else if (name == QLatin1String("--title")) {
            r->options.title = value;
        } else if (name == QLatin1String("--cbar-label")) {
            r->options.colorBarLabel = value;
        } else if (name == QLatin1String("--complex")) {
            r->part = complexPartFromName(value);
            if (!r->part)
                return fail(BadUsage, QStringLiteral("export: unknown --complex '%1' (known: "
                                                     "real, imag, abs, angle)")
                                          .arg(value));
        } else if (name == QLatin1String("--xlabel")) {
            r->options.xLabel = value;
        } else if (name == QLatin1String("--ylabel")) {
            r->options.yLabel = value;
        } else if (!parseSize(value, &r->options)) {
            return fail(BadUsage, QStringLiteral("export: bad --size '%1' (expected WxH, e.g. "
                                                 "1200x900, each 16 to 16384)")
                                      .arg(value));
        }
    }
    if (positional.size() < 2)
        return fail(BadUsage, positional.isEmpty()
                                  ? QStringLiteral("export: missing FILE and TENSOR")
                                  : QStringLiteral("export: missing TENSOR"));
    if (positional.size() > 2)
        return fail(BadUsage,
                    QStringLiteral("export: unexpected argument '%1'").arg(positional[2]));
    if (r->output.isEmpty()) return fail(BadUsage, QStringLiteral("export: missing -o OUT"));
    if (r->options.hasRange && r->options.hasPercentile)
        return fail(BadUsage, QStringLiteral("export: give --range or --percentile, not both"));
    if (r->options.pixelSize.isValid() && (r->hasWidth || r->hasHeight))
        return fail(BadUsage, QStringLiteral("export: give --size or --width/--height, not both"));
    // matplotlib's figure proportions (4:3) unless a height is given.
    if (!r->hasHeight) r->options.figure.heightPt = r->options.figure.widthPt * 0.75;
    // The default font may shrink (never below 6 pt) on a small figure; a chosen one not.
    r->options.figure.shrinkFontsToFit = !r->hasFontSize;
    r->file = positional[0];
    r->tensor = positional[1];
    r->suffix = QFileInfo(r->output).suffix().toLower();
    static const QStringList kSuffixes = {QStringLiteral("png"), QStringLiteral("svg"),
                                          QStringLiteral("pdf"), QStringLiteral("npy"),
                                          QStringLiteral("csv")};
    if (!kSuffixes.contains(r->suffix))
        return fail(BadUsage, QStringLiteral("export: %1: unknown output type '.%2' (use .png, "
                                             ".svg, .pdf, .npy or .csv)")
                                  .arg(r->output, r->suffix));
    return -1;
}

} // namespace

QString exportHelp() {
    return QStringLiteral(
               "Usage: weightscope export FILE TENSOR -o OUT [--colormap NAME] [--range LO:HI]\n"
               "                          [--percentile LO:HI] [--scale S] [--linthresh X]\n"
               "                          [--width L] [--height L] [--font-size PT] [--font F]\n"
               "                          [--size WxH] [--dpi N] [--title TEXT] [--xlabel TEXT]\n"
               "                          [--ylabel TEXT] [--cbar-label TEXT] [--diff OTHER]\n"
               "                          [--complex PART]\n\n"
               "Writes the tensor named TENSOR (exactly as `weightscope info` lists it) of FILE.\n"
               "TENSOR may be indexed as in PyTorch: 'conv.weight[:, :, 1, 2]', 'fc.weight[0]'.\n"
               "The extension of OUT selects the output:\n"
               "  .png .svg .pdf  a figure of the heatmap with axes and colour bar (1-D\n"
               "                  tensors as a bar chart); PDF and SVG keep text as text and\n"
               "                  the cells as a lossless image, one pixel per cell\n"
               "  .npy            the exact values in the tensor's dtype (bfloat16, float8 as "
               "float32)\n"
               "  .csv            the 2-D view, one row per line, full precision\n\n"
               "Options:\n"
               "  -o, --output OUT   the file to write\n"
               "  --colormap NAME    %1 (suffix _r inverts)\n"
               "  --range LO:HI      colour range instead of the automatic one\n"
               "  --percentile LO:HI colour range from percentiles of the data (e.g. 1:99;\n"
               "                     of the magnitudes for --scale log)\n"
               "  --scale S          %2 (default linear; log uses a sequential map)\n"
               "  --linthresh X      symlog: values within +-X are linear\n"
               "  --width L          figure width with its unit: 3.5in, 8.9cm, 89mm, 252pt\n"
               "                     (default 6.4in, matplotlib's)\n"
               "  --height L         figure height (default 3/4 of the width)\n"
               "  --font-size PT     tick labels in points (default 10, less on a figure too\n"
               "                     small for it; axis labels the same, the title 1.2\n"
               "                     times; never below 6)\n"
               "  --font FAMILY      font family (default DejaVu Sans, matplotlib's)\n"
               "  --dpi N            pixels per inch: a PNG's pixels (3.5in at 300 dpi is 1050\n"
               "                     px wide; default 100), and rasters inside PDF/SVG when\n"
               "                     the tensor has more cells than that (default 300)\n"
               "  --size WxH         PNG size in pixels, exactly (instead of --width/--height)\n"
               "  --title TEXT       title above the plot (default: the tensor name; '' none)\n"
               "  --xlabel TEXT      x axis label (default: in for a Linear weight, else dim 1)\n"
               "  --ylabel TEXT      y axis label (default: out for a Linear weight, else dim 0)\n"
               "  --cbar-label TEXT  colour bar label (default none; |value| for --scale log,\n"
               "                     difference for --diff)\n"
               "  --diff OTHER       this file's tensor minus OTHER's (same name and shape);\n"
               "                     .npy is float32 unless both are float64\n"
               "  --complex PART     a complex tensor's figure shows real (default), imag, abs\n"
               "                     (magnitude) or angle (phase in radians); .npy and .csv\n"
               "                     keep the exact complex values\n"
               "  -h, --help         show this help\n"
               "Use -- before a FILE or TENSOR name that starts with '-'.\n")
        .arg(ColorMap::names().join(QLatin1String(", ")),
             ColorScale::scaleNames().join(QLatin1String(", ")));
}

int runExport(const QStringList& args, int argc, char** argv) {
    ExportRequest r;
    const int parsed = parse(args, &r);
    if (parsed >= 0) return parsed;

    const bool image = r.suffix == QLatin1String("png") || r.suffix == QLatin1String("svg") ||
                       r.suffix == QLatin1String("pdf");
    std::unique_ptr<QCoreApplication> app;
    if (image) {
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
        g_previousHandler = qInstallMessageHandler(quietHandler);
        app = std::make_unique<QApplication>(argc, argv);
    }
    auto file = openOrReport(r.file);
    if (!file) return BadInput;
    int code = BadInput;
    TensorPtr tensor = tensorArgument(*file, r.file, r.tensor, &code);
    if (!tensor) return code;
    if (!r.diff.isEmpty()) {
        auto other = openOrReport(r.diff);
        if (!other) return BadInput;
        const TensorPtr b = tensorArgument(*other, r.diff, r.tensor, &code);
        if (!b) return code;
        if (b->shape != tensor->shape)
            return fail(BadInput, QStringLiteral("--diff: tensor '%1' has shape %2 in %3 but %4 "
                                                 "in %5")
                                      .arg(r.tensor, tensor->shapeString(), r.file,
                                           b->shapeString(), r.diff));
        QString problem;
        const QString name =
            QStringLiteral("%1 (%2 - %3)")
                .arg(r.tensor, QFileInfo(r.file).fileName(), QFileInfo(r.diff).fileName());
        tensor = difference(*tensor, *b, name, &problem);
        if (!tensor)
            return fail(
                BadInput,
                QStringLiteral("--diff: cannot read tensor '%1': %2").arg(r.tensor, problem));
        r.options.difference = true;
    }

    if (r.part) {
        if (!isComplex(tensor->dtype))
            return fail(BadInput, QStringLiteral("--complex: tensor '%1' is %2, not complex")
                                      .arg(r.tensor, tensor->typeName()));
        if (!image)
            return fail(BadUsage, QStringLiteral("export: --complex chooses what a figure shows; "
                                                 ".%1 keeps the exact complex values")
                                      .arg(r.suffix));
        auto shown = std::make_shared<Tensor>(*tensor);
        shown->complexPart = *r.part;
        tensor = shown;
        if (!r.options.title) // the default title says which part is shown
            r.options.title = QStringLiteral("%1 (%2)").arg(tensor->name, complexPartName(*r.part));
    }
    QString error;
    bool ok = false;
    if (r.suffix == QLatin1String("npy")) {
        ok = writeNpy(*tensor, r.output, &error);
    } else if (r.suffix == QLatin1String("csv")) {
        ok = writeCsv(*tensor, r.output, &error);
    } else {
        // The tensor's bytes are read by the export itself, without loading its storage
        // (a second copy of the whole record).
        if (!r.options.title) r.options.title = tensor->name;
        if (r.diff.isEmpty()) r.options.layerKind = layerKindOf(*file, tensor->name);
        ok = exportTensorImage(*tensor, r.output, r.options, &error);
        if (!ok && error.startsWith(QLatin1String("cannot read tensor")))
            error = QStringLiteral("%1: %2").arg(r.file, error);
    }
    if (!ok) return fail(BadInput, error.simplified()); // unreadable tensor or unwritable OUT
    return Success;
}

} // namespace ws::cli
