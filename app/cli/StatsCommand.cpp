// `weightscope stats FILE TENSOR [--json] [--bins N]`: summary statistics, a
// histogram, and for matrices the singular values, stable and effective rank.
#include "StatsCommand.h"

#include "Analysis.h"
#include "CliSupport.h"
#include "DType.h"
#include "MatrixSource.h"
#include "Statistics.h"
#include "TensorSlice.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <cmath>

namespace ws::cli {

TensorPtr tensorArgument(const WeightFile& file, const QString& path, const QString& spec,
                         int* code) {
    if (TensorPtr t = file.find(spec)) return t;
    QString name, error;
    std::vector<IndexItem> index;
    bool indexed = false;
    if (!splitIndexedName(spec, &name, &index, &indexed, &error)) {
        *code = fail(BadUsage, error);
        return nullptr;
    }
    const TensorPtr t = file.find(indexed ? name : spec);
    if (!t) {
        *code = fail(BadInput, unknownTensorMessage(file, path, indexed ? name : spec));
        return nullptr;
    }
    if (!indexed) return t;
    TensorPtr view = sliceTensor(*t, index, spec.trimmed(), &error);
    if (!view) *code = fail(BadInput, QStringLiteral("%1: %2").arg(path, error));
    return view;
}

namespace {

QJsonValue number(double v) {
    return std::isfinite(v) ? QJsonValue(v) : QJsonValue(QJsonValue::Null);
}

QJsonArray numbers(const std::vector<double>& v) {
    QJsonArray a;
    for (double x : v)
        a.append(number(x));
    return a;
}

QString text(double v) {
    return QString::number(v, 'g', 8);
}

struct StatsRequest {
    QString file, tensor;
    bool json = false;
    int bins = 50;
};

// -1 when parsing succeeded, else the exit code after reporting.
int parse(const QStringList& args, StatsRequest* r) {
    QStringList positional;
    bool optionsDone = false;
    for (int i = 0; i < args.size(); ++i) {
        const QString a = args[i];
        if (optionsDone || !looksLikeOption(a)) {
            positional << a;
        } else if (a == QLatin1String("--")) {
            optionsDone = true;
        } else if (a == QLatin1String("-h") || a == QLatin1String("--help")) {
            out(statsHelp());
            return Success;
        } else if (a == QLatin1String("--json")) {
            r->json = true;
        } else if (a == QLatin1String("--bins") || a.startsWith(QLatin1String("--bins="))) {
            QString value;
            if (a.contains(QLatin1Char('=')))
                value = a.mid(a.indexOf(QLatin1Char('=')) + 1);
            else if (i + 1 < args.size())
                value = args[++i];
            else
                return fail(BadUsage, QStringLiteral("stats: option --bins needs a value"));
            bool ok = false;
            r->bins = value.toInt(&ok);
            if (!ok || r->bins < 1 || r->bins > 100000)
                return fail(BadUsage,
                            QStringLiteral("stats: bad --bins '%1' (1 to 100000)").arg(value));
        } else {
            return fail(BadUsage, QStringLiteral("stats: unknown option '%1' (see `weightscope "
                                                 "help stats`)")
                                      .arg(a));
        }
    }
    if (positional.size() < 2)
        return fail(BadUsage, positional.isEmpty()
                                  ? QStringLiteral("stats: missing FILE and TENSOR")
                                  : QStringLiteral("stats: missing TENSOR"));
    if (positional.size() > 2)
        return fail(BadUsage, QStringLiteral("stats: unexpected argument '%1'").arg(positional[2]));
    r->file = positional[0];
    r->tensor = positional[1];
    return -1;
}

QString histogramText(const Histogram& h) {
    int64_t most = 1;
    for (int64_t c : h.counts)
        most = std::max(most, c);
    QString o;
    for (size_t i = 0; i < h.counts.size(); ++i) {
        const int bar = int(std::lround(40.0 * double(h.counts[i]) / double(most)));
        QString line = QStringLiteral("  %1 .. %2  %3  %4")
                           .arg(text(h.edges[i]), 14)
                           .arg(text(h.edges[i + 1]), -14)
                           .arg(h.counts[i], 10)
                           .arg(QString(bar, QLatin1Char('#')));
        while (line.endsWith(QLatin1Char(' ')))
            line.chop(1);
        o += line + QLatin1Char('\n');
    }
    return o;
}

} // namespace

QString statsHelp() {
    return QStringLiteral(
        "Usage: weightscope stats FILE TENSOR [--json] [--bins N]\n\n"
        "Statistics of one tensor: min, max, mean, std (population), L2 norm, zero fraction,\n"
        "NaN and infinity counts, percentiles and a histogram (numpy.histogram's bins over\n"
        "the finite min..max). For 2-D tensors also the singular values (descending; the\n"
        "largest 128 by a randomized SVD when both sides exceed 2048), the stable rank\n"
        "(sum s^2 / max s^2), the effective rank (exp of the entropy of s / sum s) and the\n"
        "Frobenius and spectral norms.\n"
        "TENSOR is a name as `weightscope info` lists it, optionally indexed as in PyTorch:\n"
        "'conv.weight[0]', 'fc.weight[:, 0:10]'.\n\n"
        "Options:\n"
        "  --json      print one JSON document\n"
        "  --bins N    histogram bins (default 50)\n"
        "  -h, --help  show this help\n");
}

int runStats(const QStringList& args) {
    StatsRequest r;
    const int parsed = parse(args, &r);
    if (parsed >= 0) return parsed;
    auto file = openOrReport(r.file);
    if (!file) return BadInput;
    int code = BadInput;
    const TensorPtr t = tensorArgument(*file, r.file, r.tensor, &code);
    if (!t) return code;

    // Statistics, histogram and spectrum stream over the tensor tile by tile; only the
    // exact percentiles (numpy.percentile) need the values in memory, so they are given
    // for tensors up to kPercentileElements.
    constexpr int64_t kPercentileElements = int64_t(1) << 26; // 256 MB of float32
    QString error;
    TensorStats s;
    Histogram h;
    MatrixF m;
    const std::shared_ptr<MatrixSource> source = t->check(&error) ? tensorSource(t) : nullptr;
    const int64_t n = t->numel();
    const bool withPercentiles = n <= kPercentileElements;
    if (!source || !computeStats(*t, &s, &error) ||
        !histogramOf(*source, 0, 0, source->rows(), source->cols(), r.bins, &h, &error) ||
        (withPercentiles && !t->values(&m, &error)))
        return fail(BadInput, QStringLiteral("%1: cannot read tensor '%2': %3")
                                  .arg(r.file, r.tensor, error.simplified()));
    const std::vector<double> qs =
        withPercentiles ? std::vector<double>{0.1, 1, 50, 99, 99.9} : std::vector<double>{};
    Spectrum spectrum;
    QString spectrumProblem; // e.g. NaN values: the other statistics still stand
    const bool matrix =
        t->rank() == 2 && n > 0 && computeSpectrum(*source, &spectrum, &spectrumProblem);

    if (r.json) {
        QJsonObject o;
        o[QStringLiteral("tensor")] = r.tensor;
        QJsonArray shape;
        for (int64_t d : t->shape)
            shape.append(double(d));
        o[QStringLiteral("shape")] = shape;
        o[QStringLiteral("dtype")] = t->typeName();
        o[QStringLiteral("count")] = double(s.count);
        o[QStringLiteral("min")] = number(s.min);
        o[QStringLiteral("max")] = number(s.max);
        o[QStringLiteral("mean")] = number(s.mean);
        o[QStringLiteral("std")] = number(s.std);
        o[QStringLiteral("l2")] = number(s.l2);
        o[QStringLiteral("zero_fraction")] = number(s.zeroFraction);
        o[QStringLiteral("nan_count")] = double(s.nanCount);
        o[QStringLiteral("inf_count")] = double(s.infCount);
        QJsonObject pct;
        for (double q : qs)
            pct[QString::number(q)] = number(percentile(m.data(), n, q));
        o[QStringLiteral("percentiles")] = pct;
        QJsonObject hist;
        hist[QStringLiteral("edges")] = numbers(h.edges);
        hist[QStringLiteral("counts")] =
            numbers(std::vector<double>(h.counts.begin(), h.counts.end()));
        o[QStringLiteral("histogram")] = hist;
        if (!spectrumProblem.isEmpty())
            o[QStringLiteral("singular_values_problem")] = spectrumProblem;
        if (matrix) {
            o[QStringLiteral("singular_values")] = numbers(spectrum.singularValues);
            o[QStringLiteral("singular_values_truncated")] = spectrum.truncated;
            o[QStringLiteral("stable_rank")] = number(spectrum.stableRank);
            o[QStringLiteral("effective_rank")] = number(spectrum.effectiveRank);
            o[QStringLiteral("frobenius")] = number(spectrum.frobenius);
            o[QStringLiteral("spectral")] = number(spectrum.spectral);
        }
        out(QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented)));
        return Success;
    }

    QString o;
    o += QStringLiteral("tensor         %1\n").arg(r.tensor);
    o += QStringLiteral("shape          %1 %2\n").arg(t->shapeString(), t->typeName());
    o += QStringLiteral("count          %1\n").arg(s.count);
    o += QStringLiteral("min            %1\nmax            %2\n").arg(text(s.min), text(s.max));
    o += QStringLiteral("mean           %1\nstd            %2\n").arg(text(s.mean), text(s.std));
    o += QStringLiteral("L2 norm        %1\n").arg(text(s.l2));
    o += QStringLiteral("zero fraction  %1\n").arg(text(s.zeroFraction));
    if (s.nanCount || s.infCount)
        o += QStringLiteral("NaN / inf      %1 / %2\n").arg(s.nanCount).arg(s.infCount);
    QStringList pct;
    for (double q : qs)
        pct << QStringLiteral("p%1 %2").arg(q).arg(text(percentile(m.data(), n, q)));
    o += QStringLiteral("percentiles    %1\n")
             .arg(withPercentiles ? pct.join(QLatin1String(", "))
                                  : QStringLiteral("not computed (more than %1 elements)")
                                        .arg(kPercentileElements));
    if (!spectrumProblem.isEmpty())
        o += QStringLiteral("singular values: none (%1)\n").arg(spectrumProblem);
    if (matrix) {
        o += QStringLiteral("frobenius      %1\nspectral       %2\n")
                 .arg(text(spectrum.frobenius), text(spectrum.spectral));
        o += QStringLiteral("stable rank    %1\neffective rank %2\n")
                 .arg(text(spectrum.stableRank), text(spectrum.effectiveRank));
        QStringList sv;
        for (double x : spectrum.singularValues)
            sv << text(x);
        o += QStringLiteral("singular values (%1%2):\n  %3\n")
                 .arg(spectrum.singularValues.size())
                 .arg(spectrum.truncated ? QStringLiteral(", largest only") : QString())
                 .arg(sv.join(QLatin1String(" ")));
    }
    o += QStringLiteral("histogram (%1 bins):\n").arg(h.counts.size());
    o += histogramText(h);
    out(o);
    return Success;
}

} // namespace ws::cli
