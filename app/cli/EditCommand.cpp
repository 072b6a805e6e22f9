// The edit command: every expression is applied in memory first; only when all
// of them succeeded is the result saved, so a bad expression writes nothing.
#include "EditCommand.h"
#include "AtomicSave.h"
#include "CliSupport.h"
#include "Document.h"
#include "EditScript.h"
#include "FormatRegistry.h"

#include <QDir>
#include <QFileInfo>
#include <cmath>
#include <limits>
#include <vector>

namespace ws::cli {

QString editHelp() {
    return QStringLiteral(
        "Usage: weightscope edit IN -o OUT [--dry-run] EXPR...\n\n"
        "Applies PyTorch-style edits in order, then saves to OUT (which may be IN).\n"
        "  EXPR      NAME[INDEX] OP VALUE, e.g. '0.weight[0:5, :] = 0.1', '2.bias += 0.5',\n"
        "            'fc.weight[3, -1] *= 0.9', 'emb.weight = 0'\n"
        "            INDEX: integers (negative from the end) and slices a:b, a:, :b, :\n"
        "            OP: = += -= *= /=\n"
        "  -o OUT    where to save; an extension of another format converts\n"
        "            (.safetensors, .pt/.pth/.bin/.ckpt)\n"
        "  --dry-run print what would change and write nothing\n\n"
        "Exit codes: 0 success, 1 bad usage, 2 unreadable file, malformed expression,\n"
        "index out of range or unknown tensor (nothing is written).\n");
}

namespace {

struct Range {
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
};

Range regionRange(const Tensor& t, const Region& r) {
    Range out;
    const int es = dtypeSize(t.dtype);
    std::vector<double> values;
    std::vector<char> bytes;
    r.forEachRun(t, [&](int64_t pos, int64_t count, int64_t stride) {
        values.resize(size_t(count));
        if (t.encoding) { // an encoded tensor's runs are logical positions
            for (int64_t k = 0; k < count; ++k)
                t.readDoubles(pos + k * stride, 1, &values[size_t(k)], nullptr);
        } else {
            bytes.resize(size_t(es));
            for (int64_t k = 0; k < count; ++k) {
                t.storage->readBytes((pos + k * stride) * es, es, bytes.data(), nullptr);
                values[size_t(k)] = readElement(bytes.data(), t.dtype);
            }
        }
        for (double v : values) {
            out.min = std::min(out.min, v);
            out.max = std::max(out.max, v);
        }
    });
    return out;
}

QString num(double v) {
    return QString::number(v, 'g', 7);
}

// The writable format whose file names match OUT (by the Open dialog's name
// filters, most specific first), or null for "the input's own".
const FileFormat* formatForOutput(const QString& out, const WeightFile& in) {
    const QString name = QFileInfo(out).fileName();
    const FileFormat* best = nullptr;
    int bestLength = 0;
    for (const FileFormat* f : fileFormats()) {
        if (!f->canWrite()) continue;
        for (const QString& pattern : f->nameFilters()) {
            if (QDir::match(pattern, name) && pattern.size() > bestLength) {
                best = f;
                bestLength = int(pattern.size());
            }
        }
    }
    return best && best->id() != in.formatId ? best : nullptr;
}

} // namespace

int runEdit(const QStringList& argList) {
    Args args{argList};
    QString input, output;
    bool dryRun = false, optionsDone = false;
    QStringList exprs;
    while (!args.atEnd()) {
        const QString a = args.next();
        if (!optionsDone && a == QLatin1String("--")) {
            optionsDone = true;
        } else if (!optionsDone && (a == QLatin1String("-o") || a == QLatin1String("--output"))) {
            if (args.atEnd()) return fail(BadUsage, QStringLiteral("edit: -o needs a file name"));
            output = args.next();
        } else if (!optionsDone && a == QLatin1String("--dry-run")) {
            dryRun = true;
        } else if (!optionsDone && (a == QLatin1String("-h") || a == QLatin1String("--help"))) {
            out(editHelp());
            return Success;
        } else if (!optionsDone && looksLikeOption(a)) {
            return fail(BadUsage, QStringLiteral("edit: unknown option '%1'").arg(a));
        } else if (input.isEmpty()) {
            input = a;
        } else {
            exprs << a;
        }
    }
    if (input.isEmpty()) return fail(BadUsage, QStringLiteral("edit: missing input file"));
    if (output.isEmpty() && !dryRun)
        return fail(BadUsage,
                    QStringLiteral("edit: missing -o OUT (give -o %1 to overwrite it)").arg(input));
    if (exprs.isEmpty()) return fail(BadUsage, QStringLiteral("edit: no expression given"));

    QString saveError; // a read-only OUT or folder is refused before any work
    if (!dryRun && !checkCanSave(output, &saveError)) return fail(BadInput, saveError);
    auto file = openOrReport(input);
    if (!file) return BadInput;
    const FileFormat* target = output.isEmpty() ? nullptr : formatForOutput(output, *file);
    Document doc(std::move(file));
    QStringList report;
    for (const QString& text : exprs) {
        ResolvedEdit r;
        QString error;
        EditStage stage = EditStage::Parse;
        if (!resolveEditExpression(doc, text, &r, &error, &stage)) {
            if (stage == EditStage::Parse)
                return fail(BadInput, QStringLiteral("%1: %2").arg(input, error));
            if (stage == EditStage::Tensor)
                return fail(BadInput, unknownTensorMessage(doc.file(), input, r.expr.tensorName));
            return fail(BadInput, QStringLiteral("%1: '%2': %3").arg(input, text, error));
        }
        const TensorPtr& t = r.tensor;
        const Region& region = r.region;
        const QString refusal = Document::editRefusal(*t);
        if (!refusal.isEmpty())
            return fail(BadInput, QStringLiteral("%1: '%2': %3").arg(input, text, refusal));
        if (!t->check(&error)) return fail(BadInput, error);
        const Range before = regionRange(*t, region);
        if (!doc.edit(r.expr.tensorName, region, r.expr.op, &error))
            return fail(BadInput, QStringLiteral("%1: '%2': %3").arg(input, text, error));
        const Range after = regionRange(*t, region);
        report << QStringLiteral("%1: %2 of %3 values of %4 %5 %6; range [%7, %8] -> [%9, %10]")
                      .arg(text)
                      .arg(region.numel())
                      .arg(t->numel())
                      .arg(t->name, t->shapeString(), t->typeName(), num(before.min),
                           num(before.max), num(after.min), num(after.max));
    }
    if (dryRun) {
        out(QStringLiteral("Would change (dry run, nothing written):\n  ") +
            report.join(QStringLiteral("\n  ")) + QLatin1Char('\n'));
        return Success;
    }
    QString error;
    if (!doc.save(output, &error, target)) return fail(BadInput, error);
    out(report.join(QLatin1Char('\n')) + QStringLiteral("\nsaved %1\n").arg(output));
    return Success;
}

} // namespace ws::cli
