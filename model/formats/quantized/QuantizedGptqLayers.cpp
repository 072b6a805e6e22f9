// Builders for GPTQ and AWQ layers (from their configs, or inferred from the shapes
// of qweight, qzeros and scales when no config lies beside the file).
#include "QuantizedBuilder.h"
#include "QuantizedGptq.h"
#include "QuantizedScaled.h"

namespace ws::quant {

namespace {

const std::vector<DType> kWordTypes = {DType::Int32, DType::UInt32};

struct GptqArgs {
    int64_t bits = 0;
    /// -1: one group of all inputs; nullopt: from the shape of scales
    std::optional<int64_t> group;
    bool zeroMinusOne = true;
    bool actOrder = false;
    QString source; ///< where bits and group_size came from, for messages
};

/// Checks a GPTQ layer's tensors against \a a; adds its logical tensor or its problem.
void addGptqLayer(LayerBuilder& b, const QString& prefix, const GptqArgs& a) {
    const TensorPtr qw = b.find(prefix, QStringLiteral("qweight"));
    const TensorPtr qz = b.find(prefix, QStringLiteral("qzeros"));
    const TensorPtr sc = b.find(prefix, QStringLiteral("scales"));
    const TensorPtr gi = b.find(prefix, QStringLiteral("g_idx"));
    auto fail = [&](const QString& why) { b.addProblem(prefix, qw, {}, why); };
    if (!qz || !sc)
        return fail(
            QStringLiteral("GPTQ needs %1 beside %2")
                .arg(!qz ? prefix + QStringLiteral(".qzeros") : prefix + QStringLiteral(".scales"),
                     qw->name));
    if (a.bits != 2 && a.bits != 3 && a.bits != 4 && a.bits != 8)
        return fail(QStringLiteral("bits %1 (%2) is not 2, 3, 4 or 8").arg(a.bits).arg(a.source));
    QString bad = expectTensor(qw, kWordTypes);
    if (bad.isEmpty() && qw->rank() != 2)
        bad = QStringLiteral("%1 has shape %2, expected 2 dimensions")
                  .arg(qw->name, qw->shapeString());
    if (bad.isEmpty() && (qw->shape[0] * 32) % a.bits != 0)
        bad = QStringLiteral("%1 has %2 rows, which do not hold whole %3-bit columns")
                  .arg(qw->name)
                  .arg(qw->shape[0])
                  .arg(a.bits);
    if (!bad.isEmpty()) return fail(bad);
    const int bits = int(a.bits);
    const int64_t K = qw->shape[0] * 32 / bits, N = qw->shape[1];
    int64_t group = a.group.value_or(0);
    if (!a.group) {
        if (sc->rank() == 2 && sc->shape[0] > 0 && K % sc->shape[0] == 0)
            group = K / sc->shape[0]; // as many equal groups as scales has rows
        else
            return fail(QStringLiteral("group_size is missing (%1) and %2 %3 does not tell it")
                            .arg(a.source, sc->name, sc->shapeString()));
    }
    if (group != -1 && (group <= 0 || group > kMaxElements))
        return fail(QStringLiteral("group_size %1 (%2) is not a positive size or -1")
                        .arg(group)
                        .arg(a.source));
    const bool all = group == -1;
    const int64_t G = all ? 1 : ceilDiv(K, group);
    bad = expectTensor(sc, scaleTypes(), {G, N});
    if (bad.isEmpty()) bad = expectTensor(qz, kWordTypes, {G, ceilDiv(N * bits, 32)});
    if (bad.isEmpty() && gi) bad = expectTensor(gi, {DType::Int32}, {K});
    if (bad.isEmpty() && a.actOrder && !gi)
        bad = QStringLiteral("desc_act is set (%1) but %2.g_idx is missing").arg(a.source, prefix);
    if (!bad.isEmpty())
        return fail(QStringLiteral("%1 (for %2-bit weights [%3, %4] in groups of %5)")
                        .arg(bad)
                        .arg(bits)
                        .arg(N)
                        .arg(K)
                        .arg(all ? K : group));
    b.add(prefix, std::make_shared<GptqEncoding>(qw, qz, sc, gi, bits, all ? K : group, all,
                                                 a.zeroMinusOne, a.actOrder, N, K, G));
}

void addAwqLayer(LayerBuilder& b, const QString& prefix, int64_t bits, int64_t group,
                 const QString& source) {
    const TensorPtr qw = b.find(prefix, QStringLiteral("qweight"));
    const TensorPtr qz = b.find(prefix, QStringLiteral("qzeros"));
    const TensorPtr sc = b.find(prefix, QStringLiteral("scales"));
    auto fail = [&](const QString& why) { b.addProblem(prefix, qw, {}, why); };
    if (!qz || !sc)
        return fail(
            QStringLiteral("AWQ needs %1 beside %2")
                .arg(!qz ? prefix + QStringLiteral(".qzeros") : prefix + QStringLiteral(".scales"),
                     qw->name));
    if (bits != 4)
        return fail(QStringLiteral("AWQ bits %1 (%2) is not 4, the only width AWQ packs")
                        .arg(bits)
                        .arg(source));
    QString bad = expectTensor(qw, kWordTypes);
    if (bad.isEmpty() && qw->rank() != 2)
        bad = QStringLiteral("%1 has shape %2, expected 2 dimensions")
                  .arg(qw->name, qw->shapeString());
    if (!bad.isEmpty()) return fail(bad);
    const int64_t K = qw->shape[0], N = qw->shape[1] * 8;
    if (group <= 0 || group > (int64_t(1) << 40) || K % group != 0)
        return fail(QStringLiteral("group_size %1 (%2) does not divide the %3 inputs")
                        .arg(group)
                        .arg(source)
                        .arg(K));
    bad = expectTensor(sc, scaleTypes(), {K / group, N});
    if (bad.isEmpty()) bad = expectTensor(qz, kWordTypes, {K / group, N / 8});
    if (!bad.isEmpty())
        return fail(QStringLiteral("%1 (for 4-bit weights [%2, %3] in groups of %4)")
                        .arg(bad)
                        .arg(N)
                        .arg(K)
                        .arg(group));
    b.add(prefix, std::make_shared<AwqEncoding>(qw, qz, sc, group, N, K));
}

} // namespace

void buildGptq(LayerBuilder& b) {
    const QJsonObject& q = b.config->object;
    GptqArgs a;
    a.source = b.config->file;
    a.bits = intMember(q, QStringLiteral("bits")).value_or(0);
    if (q.contains(QLatin1String("group_size"))) // a non-integer is an error, not "missing"
        a.group = intMember(q, QStringLiteral("group_size")).value_or(0);
    a.actOrder = boolMember(q, QStringLiteral("desc_act"), false);
    QString format = stringMember(q, QStringLiteral("checkpoint_format"));
    if (format.isEmpty()) format = stringMember(q, QStringLiteral("format"));
    QString unsupported;
    if (boolMember(q, QStringLiteral("is_marlin_format"), false)) format = QStringLiteral("marlin");
    if (format.isEmpty() || format == QLatin1String("gptq"))
        a.zeroMinusOne = true; // v1, what most hub models are (and the default)
    else if (format == QLatin1String("gptq_v2"))
        a.zeroMinusOne = false;
    else
        unsupported = QStringLiteral("GPTQ checkpoint format '%1' (%2) is not supported; only "
                                     "gptq and gptq_v2")
                          .arg(format, a.source);
    for (const QString& prefix : b.prefixesWith(QStringLiteral("qweight"))) {
        if (!unsupported.isEmpty())
            b.addProblem(prefix, b.find(prefix, QStringLiteral("qweight")), {}, unsupported);
        else
            addGptqLayer(b, prefix, a);
    }
}

void buildAwq(LayerBuilder& b) {
    const QJsonObject& q = b.config->object;
    const int64_t bits = intMember(q, QStringLiteral("bits"))
                             .value_or(intMember(q, QStringLiteral("w_bit")).value_or(0));
    const int64_t group = intMember(q, QStringLiteral("group_size"))
                              .value_or(intMember(q, QStringLiteral("q_group_size")).value_or(0));
    QString version = stringMember(q, QStringLiteral("version"));
    if (version.isEmpty()) version = QStringLiteral("gemm");
    for (const QString& prefix : b.prefixesWith(QStringLiteral("qweight"))) {
        if (version != QLatin1String("gemm"))
            b.addProblem(prefix, b.find(prefix, QStringLiteral("qweight")), {},
                         QStringLiteral("AWQ version '%1' (%2) is not supported; only gemm")
                             .arg(version, b.config->file));
        else
            addAwqLayer(b, prefix, bits, group, b.config->file);
    }
}

void buildInferred(LayerBuilder& b) {
    const QString source = QStringLiteral("inferred: no quantization config beside the file");
    for (const QString& prefix : b.prefixesWith(QStringLiteral("qweight"))) {
        const TensorPtr qw = b.find(prefix, QStringLiteral("qweight"));
        const TensorPtr qz = b.find(prefix, QStringLiteral("qzeros"));
        const TensorPtr sc = b.find(prefix, QStringLiteral("scales"));
        const TensorPtr gi = b.find(prefix, QStringLiteral("g_idx"));
        if (!qz || !sc || qw->rank() != 2 || qz->rank() != 2 || sc->rank() != 2 ||
            sc->shape[1] <= 0) {
            b.addProblem(prefix, qw, {},
                         QStringLiteral("no quantization config beside the file, and its "
                                        "tensors do not tell a GPTQ or AWQ layout"));
            continue;
        }
        const int64_t N = sc->shape[1];
        if (gi || qw->shape[1] == N) { // GPTQ: qweight [in*bits/32, out]
            GptqArgs a;
            a.source = source;
            if ((qz->shape[1] * 32) % N == 0) a.bits = qz->shape[1] * 32 / N;
            if (gi && gi->rank() == 1 && gi->shape[0] > 0 &&
                (qw->shape[0] * 32) % gi->shape[0] == 0)
                a.bits = qw->shape[0] * 32 / gi->shape[0];
            addGptqLayer(b, prefix, a);
        } else { // AWQ: qweight [in, out/8]
            const int64_t K = qw->shape[0], G = sc->shape[0];
            addAwqLayer(b, prefix, 4, G > 0 && K % G == 0 ? K / G : 0, source);
        }
    }
    for (const QString& prefix : b.prefixesWith(QStringLiteral("weight_packed")))
        b.addProblem(prefix, b.find(prefix, QStringLiteral("weight_packed")), {},
                     QStringLiteral("no quantization config (config.json) beside the file tells "
                                    "how weight_packed is packed"));
    buildScaled(b, QStringLiteral("weight_scale_inv"));
    buildScaled(b, QStringLiteral("weight_scale"));
}

} // namespace ws::quant
