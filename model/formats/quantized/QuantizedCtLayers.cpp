// Builders for dense scaled layers (DeepSeek / fbgemm / compressed-tensors FP8 and
// int8) and for compressed-tensors packed layers (pack-quantized, NVFP4, MXFP4),
// choosing each layer's config group by its targets.
#include "QuantizedBuilder.h"
#include "QuantizedCompressed.h"
#include "QuantizedRead.h"
#include "QuantizedScaled.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QVersionNumber>

namespace ws::quant {

namespace {

/// How one layer's scales are laid out, from its config (all optional).
struct ScaleArgs {
    std::vector<int64_t> block; ///< [rows, cols] of a block (block strategy)
    int64_t group = 0;          ///< inputs per scale (group strategy)
    bool symmetric = true;
    QString source;
};

bool isQuantizedCode(DType d) {
    return d == DType::Float8E4M3 || d == DType::Float8E5M2 || d == DType::Int8 ||
           d == DType::UInt8;
}

/// The encoding of a dense scaled layer, null with \a problem set when its tensors do
/// not fit, null with \a problem empty when its weight is not quantized at all.
std::shared_ptr<LayerEncoding> makeScaled(LayerBuilder& b, const QString& prefix,
                                          const QString& scaleLeaf, const ScaleArgs& a,
                                          QString* problem) {
    const TensorPtr w = b.find(prefix, QStringLiteral("weight"));
    const TensorPtr s = b.find(prefix, scaleLeaf);
    if (!w) { // a packed layer's scale is not ours; a lone scale is a problem
        if (!b.find(prefix, QStringLiteral("weight_packed")))
            *problem = QStringLiteral("%1 has no %2.weight beside it").arg(s->name, prefix);
        return nullptr;
    }
    if (!isQuantizedCode(w->dtype)) return nullptr; // not compressed: nothing to decode
    QString bad = expectTensor(w, {w->dtype});
    if (bad.isEmpty() && w->rank() != 2)
        bad = QStringLiteral("%1 has shape %2: only 2-D weights are decoded")
                  .arg(w->name, w->shapeString());
    if (bad.isEmpty()) bad = expectTensor(s, scaleTypes());
    if (!bad.isEmpty()) {
        *problem = bad;
        return nullptr;
    }
    const int64_t R = w->shape[0], C = w->shape[1];
    const std::vector<int64_t>& ss = s->shape;
    int64_t br = 0, bc = 0;
    QString layout;
    if (s->numel() == 1 && ss.size() <= 2) {
        br = std::max<int64_t>(R, 1), bc = std::max<int64_t>(C, 1);
        layout = QStringLiteral("per-tensor scale");
    } else if (ss == std::vector<int64_t>{R, 1}) {
        br = 1, bc = std::max<int64_t>(C, 1);
        layout = QStringLiteral("per-channel scale");
    } else if (a.block.size() == 2) {
        br = a.block[0], bc = a.block[1];
        layout = QStringLiteral("%1x%2 blocks").arg(br).arg(bc);
    } else if (a.group > 0) {
        br = 1, bc = a.group;
        layout = QStringLiteral("g%1").arg(bc);
    } else if (ss.size() == 2 && ss[0] == ceilDiv(R, 128) && ss[1] == ceilDiv(C, 128)) {
        br = bc = 128; // DeepSeek-V3's block size, when nothing says otherwise
        layout = QStringLiteral("128x128 blocks");
    } else if (ss.size() == 2 && ss[0] == R && ss[1] > 0 && C % ss[1] == 0) {
        br = 1, bc = C / ss[1];
        layout = QStringLiteral("g%1").arg(bc);
    }
    const std::vector<int64_t> want = br > 0 && bc > 0
                                          ? std::vector<int64_t>{ceilDiv(R, br), ceilDiv(C, bc)}
                                          : std::vector<int64_t>{};
    const bool fits =
        !want.empty() && (s->numel() == 1 ? want == std::vector<int64_t>{1, 1} : ss == want);
    if (!fits) {
        *problem = want.empty()
                       ? QStringLiteral("%1 %2 fits no scale layout of a %3 x %4 weight (%5)")
                             .arg(s->name, s->shapeString())
                             .arg(R)
                             .arg(C)
                             .arg(a.source)
                       : QStringLiteral("%1 is %2, expected %3 for a %4 x %5 weight in %6 (%7)")
                             .arg(s->name, s->shapeString(), shapeText(want))
                             .arg(R)
                             .arg(C)
                             .arg(layout, a.source);
        return nullptr;
    }
    if (b.find(prefix, QStringLiteral("weight_g_idx"))) {
        *problem = QStringLiteral("%1.weight_g_idx (activation order) of a dense scaled weight is "
                                  "not decoded yet")
                       .arg(prefix);
        return nullptr;
    }
    TensorPtr z = a.symmetric ? nullptr : b.find(prefix, QStringLiteral("weight_zero_point"));
    if (z) {
        bad = expectTensor(z, {DType::Int8, DType::UInt8, DType::Int32, DType::Float32,
                               DType::Float16, DType::BFloat16});
        if (bad.isEmpty() && z->numel() != s->numel())
            bad = QStringLiteral("%1 is %2, expected the shape of %3 %4")
                      .arg(z->name, z->shapeString(), s->name, s->shapeString());
        if (!bad.isEmpty()) {
            *problem = bad;
            return nullptr;
        }
    }
    return std::make_shared<ScaledEncoding>(w, s, z, br, bc, layout);
}

/// Reads the [out, in] a compressed-tensors weight_shape tensor holds.
bool readWeightShape(const TensorPtr& t, int64_t* out, int64_t* in, QString* problem) {
    QString bad = expectTensor(t, {DType::Int32, DType::Int64}, {2});
    if (bad.isEmpty()) {
        char raw[16];
        const int es = dtypeSize(t->dtype);
        if (!readRect(*t, 2 * es, 0, 1, 0, 2 * es, raw, &bad)) {
            *problem = bad;
            return false;
        }
        *out = int64_t(readElement(raw, t->dtype));
        *in = int64_t(readElement(raw + es, t->dtype));
        if (*out >= 0 && *in >= 0 && *out <= kMaxElements && *in <= kMaxElements) return true;
        bad = QStringLiteral("%1 holds [%2, %3], not a shape").arg(t->name).arg(*out).arg(*in);
    }
    *problem = bad;
    return false;
}

std::shared_ptr<LayerEncoding> makeCtInt(LayerBuilder& b, const QString& prefix,
                                         const QJsonObject& w, QString* problem) {
    const TensorPtr p = b.find(prefix, QStringLiteral("weight_packed"));
    const TensorPtr s = b.find(prefix, QStringLiteral("weight_scale"));
    const TensorPtr ws = b.find(prefix, QStringLiteral("weight_shape"));
    const TensorPtr gi = b.find(prefix, QStringLiteral("weight_g_idx"));
    const QString& src = b.config->file;
    const int64_t bits = intMember(w, QStringLiteral("num_bits")).value_or(0);
    if (bits < 1 || bits > 8) {
        *problem = QStringLiteral("num_bits %1 (%2) is not 1 to 8").arg(bits).arg(src);
        return nullptr;
    }
    if (!s || !ws) {
        *problem =
            QStringLiteral("pack-quantized needs %1.%2 beside %3")
                .arg(prefix, !s ? QStringLiteral("weight_scale") : QStringLiteral("weight_shape"),
                     p->name);
        return nullptr;
    }
    QString bad = expectTensor(p, {DType::Int32});
    if (bad.isEmpty() && p->rank() != 2)
        bad = QStringLiteral("%1 has shape %2: only 2-D weights are decoded")
                  .arg(p->name, p->shapeString());
    if (bad.isEmpty()) bad = expectTensor(s, scaleTypes());
    int64_t R = 0, C = 0;
    if (!bad.isEmpty() || !readWeightShape(ws, &R, &C, &bad)) {
        *problem = bad;
        return nullptr;
    }
    const int b32 = int(bits);
    const int64_t W = p->shape[1];
    const int64_t stream = CtIntEncoding::wordsFor(C, b32, Packing::Stream);
    const int64_t perWord = CtIntEncoding::wordsFor(C, b32, Packing::PerWord);
    const bool newer =
        QVersionNumber::fromString(stringMember(b.config->object, QStringLiteral("version"))) >=
            QVersionNumber(0, 17) ||
        stringMember(b.config->object, QStringLiteral("version")).isEmpty();
    Packing packing = Packing::Stream;
    if (p->shape[0] != R || (W != stream && W != perWord)) {
        *problem = QStringLiteral("%1 is %2, expected [%3, %4] for weight_shape [%3, %5] of "
                                  "%6-bit values")
                       .arg(p->name, p->shapeString())
                       .arg(R)
                       .arg(stream)
                       .arg(C)
                       .arg(bits);
        return nullptr;
    }
    // Widths that divide 32 pack the same either way.
    if (32 % bits != 0 && W == perWord && (W != stream || !newer)) packing = Packing::PerWord;
    // Scales: one per tensor, per row, or per group of inputs.
    int64_t scaleRows = 1, scaleCols = 1, group = std::max<int64_t>(C, 1);
    if (s->numel() != 1) {
        if (s->rank() != 2 || s->shape[0] != R || s->shape[1] < 1) {
            *problem = QStringLiteral("%1 is %2, expected [%3, groups]")
                           .arg(s->name, s->shapeString())
                           .arg(R);
            return nullptr;
        }
        scaleRows = R, scaleCols = s->shape[1];
        if (scaleCols > 1) {
            group = intMember(w, QStringLiteral("group_size")).value_or(0);
            if (group <= 0 && C % scaleCols == 0) group = C / scaleCols;
            if (group <= 0 || group > kMaxElements || ceilDiv(C, group) != scaleCols) {
                *problem = QStringLiteral("%1 is %2, which does not fit group_size %3 (%4) of "
                                          "%5 inputs")
                               .arg(s->name, s->shapeString())
                               .arg(group)
                               .arg(src)
                               .arg(C);
                return nullptr;
            }
        }
    }
    ZeroPoints zeros = ZeroPoints::None;
    TensorPtr z;
    if (!boolMember(w, QStringLiteral("symmetric"), true)) {
        z = b.find(prefix, QStringLiteral("weight_zero_point"));
        const std::vector<int64_t> packed = {CtIntEncoding::wordsFor(scaleRows, b32, packing),
                                             scaleCols};
        if (!z)
            bad = QStringLiteral("symmetric is false (%1) but %2.weight_zero_point is missing")
                      .arg(src, prefix);
        else if (z->dtype == DType::Int32 && z->shape == packed &&
                 expectTensor(z, {DType::Int32}).isEmpty() && scaleRows > 1)
            zeros = ZeroPoints::Packed;
        else if (z->numel() == s->numel() &&
                 expectTensor(z, {DType::Int8, DType::Int32, DType::Int64}).isEmpty())
            zeros = ZeroPoints::Plain;
        else
            bad = QStringLiteral("%1 is %2 %3, expected int32 %4 (packed) or the shape of %5")
                      .arg(z->name, dtypeName(z->dtype), z->shapeString(), shapeText(packed),
                           s->name);
    }
    if (bad.isEmpty() && gi) bad = expectTensor(gi, {DType::Int32}, {C});
    if (!bad.isEmpty()) {
        *problem = bad;
        return nullptr;
    }
    return std::make_shared<CtIntEncoding>(p, s, ws, z, gi, b32, packing, zeros, R, C, group,
                                           scaleRows, scaleCols);
}

std::shared_ptr<LayerEncoding> makeFp4(LayerBuilder& b, const QString& prefix, const QJsonObject& w,
                                       bool mx, QString* problem) {
    const TensorPtr p = b.find(prefix, QStringLiteral("weight_packed"));
    const TensorPtr s = b.find(prefix, QStringLiteral("weight_scale"));
    const TensorPtr g = mx ? nullptr : b.find(prefix, QStringLiteral("weight_global_scale"));
    const int64_t group = intMember(w, QStringLiteral("group_size")).value_or(mx ? 32 : 16);
    QString bad;
    if (!s) bad = QStringLiteral("%1.weight_scale is missing").arg(prefix);
    if (bad.isEmpty()) bad = expectTensor(p, {DType::UInt8});
    if (bad.isEmpty() && p->rank() != 2)
        bad = QStringLiteral("%1 has shape %2: only 2-D weights are decoded")
                  .arg(p->name, p->shapeString());
    if (!bad.isEmpty()) {
        *problem = bad;
        return nullptr;
    }
    const int64_t R = p->shape[0], C = p->shape[1] * 2;
    if (group <= 0 || group > kMaxElements || C % group != 0) {
        *problem = QStringLiteral("group_size %1 (%2) does not divide the %3 inputs")
                       .arg(group)
                       .arg(b.config->file)
                       .arg(C);
        return nullptr;
    }
    if (mx)
        bad = expectTensor(s, {DType::UInt8}, {R, C / group});
    else
        bad = expectTensor(s, {DType::Float8E4M3, DType::Float32, DType::Float16, DType::BFloat16},
                           {R, C / group});
    if (bad.isEmpty() && g) {
        bad = expectTensor(g, scaleTypes());
        if (bad.isEmpty() && g->numel() != 1)
            bad = QStringLiteral("%1 is %2, expected one value").arg(g->name, g->shapeString());
    }
    if (!bad.isEmpty()) {
        *problem = bad;
        return nullptr;
    }
    return std::make_shared<Fp4Encoding>(p, s, g, mx, group, R, C);
}

/// The config groups of a compressed-tensors config with their targets compiled once
/// (a model has thousands of layers).
class ConfigGroups {
public:
    explicit ConfigGroups(const QJsonObject& config) {
        const QJsonObject groups = config.value(QLatin1String("config_groups")).toObject();
        for (auto it = groups.begin(); it != groups.end(); ++it) {
            Group g;
            g.config = it.value().toObject();
            for (const QJsonValue& v : g.config.value(QLatin1String("targets")).toArray()) {
                const QString t = v.toString();
                if (t.startsWith(QLatin1String("re:"))) {
                    // As Python's re.match: anchored at the start only.
                    QRegularExpression re(QStringLiteral("\\A(?:%1)").arg(t.mid(3)));
                    if (t.size() < 4096 && re.isValid()) g.patterns.push_back(std::move(re));
                } else if (!t.isEmpty()) {
                    g.names << t;
                }
            }
            m_groups.push_back(std::move(g));
        }
    }

    /// The candidates for layer \a prefix, best first: groups whose targets name the
    /// layer (exactly or by a "re:" pattern) before those that name a module class
    /// ("Linear"), which a state dict cannot tell.
    std::vector<QJsonObject> forLayer(const QString& prefix) const {
        std::vector<QJsonObject> named, byClass;
        for (const Group& g : m_groups) {
            bool hit = g.names.contains(prefix);
            for (const QRegularExpression& re : g.patterns)
                hit = hit || re.match(prefix).hasMatch();
            if (hit)
                named.push_back(g.config);
            else if (!g.names.isEmpty())
                byClass.push_back(g.config);
        }
        named.insert(named.end(), byClass.begin(), byClass.end());
        return named;
    }

private:
    struct Group {
        QJsonObject config;
        std::vector<QRegularExpression> patterns;
        QStringList names;
    };
    std::vector<Group> m_groups;
};

ScaleArgs scaleArgsOf(const QJsonObject& w, const QString& source) {
    ScaleArgs a;
    a.source = source;
    a.symmetric = boolMember(w, QStringLiteral("symmetric"), true);
    const QString strategy = stringMember(w, QStringLiteral("strategy"));
    if (strategy == QLatin1String("group") || strategy == QLatin1String("tensor_group"))
        a.group = intMember(w, QStringLiteral("group_size")).value_or(0);
    const QJsonArray block = w.value(QLatin1String("block_structure")).toArray();
    if (strategy == QLatin1String("block") && block.size() == 2) {
        QJsonObject pair{{QStringLiteral("r"), block[0]}, {QStringLiteral("c"), block[1]}};
        const int64_t r = intMember(pair, QStringLiteral("r")).value_or(0);
        const int64_t c = intMember(pair, QStringLiteral("c")).value_or(0);
        if (r > 0 && c > 0 && r <= kMaxElements && c <= kMaxElements) a.block = {r, c};
    }
    return a;
}

} // namespace

void buildScaled(LayerBuilder& b, const QString& scaleLeaf) {
    ScaleArgs a;
    a.source = b.origin();
    if (b.config && b.config->method == QLatin1String("fp8")) {
        const QJsonArray block =
            b.config->object.value(QLatin1String("weight_block_size")).toArray();
        QJsonObject pair;
        if (block.size() == 2)
            pair = {{QStringLiteral("r"), block[0]}, {QStringLiteral("c"), block[1]}};
        const int64_t r = intMember(pair, QStringLiteral("r")).value_or(0);
        const int64_t c = intMember(pair, QStringLiteral("c")).value_or(0);
        if (r > 0 && c > 0 && r <= kMaxElements && c <= kMaxElements) a.block = {r, c};
    }
    for (const QString& prefix : b.prefixesWith(scaleLeaf)) {
        QString problem;
        auto enc = makeScaled(b, prefix, scaleLeaf, a, &problem);
        if (enc)
            b.add(prefix, enc);
        else if (!problem.isEmpty())
            b.addProblem(prefix, b.find(prefix, scaleLeaf), {}, problem);
    }
}

void buildCompressedTensors(LayerBuilder& b) {
    const QJsonObject& q = b.config->object;
    const QString topFormat = stringMember(q, QStringLiteral("format"));
    const ConfigGroups configGroups(q);
    for (const QString& prefix : b.prefixesWith(QStringLiteral("weight_packed"))) {
        const TensorPtr main = b.find(prefix, QStringLiteral("weight_packed"));
        const std::vector<QJsonObject> groups = configGroups.forLayer(prefix);
        QString first;
        std::shared_ptr<LayerEncoding> enc;
        for (const QJsonObject& g : groups) {
            QString format = stringMember(g, QStringLiteral("format"));
            if (format.isEmpty()) format = topFormat;
            const QJsonObject w = g.value(QLatin1String("weights")).toObject();
            QString problem;
            if (format.contains(QLatin1String("nvfp4")))
                enc = makeFp4(b, prefix, w, false, &problem);
            else if (format.contains(QLatin1String("mxfp4")))
                enc = makeFp4(b, prefix, w, true, &problem);
            else if (format == QLatin1String("pack-quantized"))
                enc = makeCtInt(b, prefix, w, &problem);
            else
                problem = QStringLiteral("compressed-tensors format '%1' (%2) is not supported")
                              .arg(format, b.config->file);
            if (enc) break;
            if (first.isEmpty()) first = problem;
        }
        if (enc)
            b.add(prefix, enc);
        else
            b.addProblem(
                prefix, main, {},
                first.isEmpty()
                    ? QStringLiteral("no config group of %1 targets it").arg(b.config->file)
                    : first);
    }
    for (const QString& prefix : b.prefixesWith(QStringLiteral("weight_scale"))) {
        const std::vector<QJsonObject> groups = configGroups.forLayer(prefix);
        QString first;
        std::shared_ptr<LayerEncoding> enc;
        bool plain = false;
        for (const QJsonObject& g : groups) {
            QString problem;
            enc = makeScaled(
                b, prefix, QStringLiteral("weight_scale"),
                scaleArgsOf(g.value(QLatin1String("weights")).toObject(), b.config->file),
                &problem);
            if (enc) break;
            plain = plain || problem.isEmpty();
            if (first.isEmpty()) first = problem;
        }
        if (groups.empty()) {
            QString problem;
            ScaleArgs none;
            none.source = b.config->file;
            enc = makeScaled(b, prefix, QStringLiteral("weight_scale"), none, &problem);
            first = problem;
            plain = problem.isEmpty();
        }
        if (enc)
            b.add(prefix, enc);
        else if (!plain && !first.isEmpty())
            b.addProblem(prefix, b.find(prefix, QStringLiteral("weight_scale")), {}, first);
    }
}

} // namespace ws::quant
