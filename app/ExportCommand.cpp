// `weightscope export FILE TENSOR -o OUT [--colormap NAME] [--range LO:HI]
// [--size WxH]`: one tensor to an image (.png .svg .pdf) or to values (.npy .csv).
#include "ColorMap.h"
#include "CommandLineSupport.h"
#include "NpyWriter.h"
#include "PlotExport.h"

#include <QApplication>
#include <QCoreApplication>
#include <QFileInfo>
#include <cmath>
#include <memory>

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
    QString file, tensor, output, suffix;
    ExportOptions options;
};

bool parseRange(const QString& text, ExportOptions* o) {
    const QStringList parts = text.split(QLatin1Char(':'));
    if (parts.size() != 2) return false;
    bool okLo = false, okHi = false;
    const double lo = parts[0].trimmed().toDouble(&okLo);
    const double hi = parts[1].trimmed().toDouble(&okHi);
    if (!okLo || !okHi || !std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi)) return false;
    o->hasRange = true;
    o->lo = lo;
    o->hi = hi;
    return true;
}

bool parseSize(const QString& text, ExportOptions* o) {
    const QStringList parts = text.toLower().split(QLatin1Char('x'));
    if (parts.size() != 2) return false;
    bool okW = false, okH = false;
    const int w = parts[0].toInt(&okW), h = parts[1].toInt(&okH);
    if (!okW || !okH || w < 16 || h < 16 || w > 16384 || h > 16384) return false;
    o->width = w;
    o->height = h;
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
        const bool known = name == QLatin1String("-o") || name == QLatin1String("--output") ||
                           name == QLatin1String("--colormap") ||
                           name == QLatin1String("--range") || name == QLatin1String("--size");
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
               "                          [--size WxH]\n\n"
               "Writes the tensor named TENSOR (exactly as `weightscope info` lists it) of FILE.\n"
               "The extension of OUT selects the output:\n"
               "  .png .svg .pdf  the heatmap (1-D tensors as a bar chart)\n"
               "  .npy            the exact values in the tensor's dtype (bfloat16, float8 as "
               "float32)\n"
               "  .csv            the 2-D view, one row per line, full precision\n\n"
               "Options:\n"
               "  -o, --output OUT   the file to write\n"
               "  --colormap NAME    %1 (suffix _r inverts)\n"
               "  --range LO:HI      colour range instead of the automatic one\n"
               "  --size WxH         image size in pixels (default 1200x900)\n"
               "  -h, --help         show this help\n"
               "Use -- before a FILE or TENSOR name that starts with '-'.\n")
        .arg(ColorMap::names().join(QLatin1String(", ")));
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
    const TensorPtr tensor = file->find(r.tensor);
    if (!tensor) return fail(BadInput, unknownTensorMessage(*file, r.file, r.tensor));

    QString error;
    bool ok = false;
    if (r.suffix == QLatin1String("npy")) {
        ok = writeNpy(*tensor, r.output, &error);
    } else if (r.suffix == QLatin1String("csv")) {
        ok = writeCsv(*tensor, r.output, &error);
    } else {
        QString problem;
        if (!tensor->load(&problem)) {
            return fail(
                BadInput,
                QStringLiteral("%1: cannot read tensor '%2': %3").arg(r.file, r.tensor, problem));
        }
        r.options.title = tensor->name;
        ok = exportTensorImage(*tensor, r.output, r.options, &error);
    }
    if (!ok) return fail(BadInput, error.simplified()); // unreadable tensor or unwritable OUT
    return Success;
}

} // namespace ws::cli
