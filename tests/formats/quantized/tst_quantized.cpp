// Quantized checkpoints (GPTQ, AWQ, scaled FP8, compressed-tensors) opened through
// the registry: every logical weight equals, bit for bit, what the fixture
// generator's numpy references computed from the packed bytes; the stored tensors
// stay listed and readable raw; the layer tree holds them under the logical weight;
// sharded models and PyTorch .bin files work the same; saves never write a derived
// tensor.
#include "Document.h"
#include "FormatRegistry.h"
#include "LayerTree.h"
#include "QuantExpected.h"
#include "QuantizedLayers.h"

#include <QDir>
#include <QRandomGenerator>
#include <QTemporaryDir>

using namespace ws;
using namespace wstest;

namespace {

const QStringList kFolders = {QStringLiteral("fp8_block"),
                              QStringLiteral("ct_fp8_tensor"),
                              QStringLiteral("ct_fp8_channel"),
                              QStringLiteral("gptq_4bit_g32"),
                              QStringLiteral("gptq_4bit_g32_desc_act"),
                              QStringLiteral("gptq_8bit"),
                              QStringLiteral("gptq_3bit"),
                              QStringLiteral("gptq_v2"),
                              QStringLiteral("awq_gemm_4bit_g32"),
                              QStringLiteral("ct_nvfp4"),
                              QStringLiteral("ct_mxfp4"),
                              QStringLiteral("ct_int4_asym"),
                              QStringLiteral("gptq_2bit_desc_act"),
                              QStringLiteral("ct_int3_stream"),
                              QStringLiteral("ct_int3_actorder_perword"),
                              QStringLiteral("ct_int8_channel"),
                              QStringLiteral("ct_int8_naive_asym"),
                              QStringLiteral("ct_fp8_block"),
                              QStringLiteral("fbgemm_fp8")};

const char* const kQProj = "model.layers.0.self_attn.q_proj";

std::unique_ptr<WeightFile> openModel(const QString& path) {
    QString error;
    auto f = openWeightFile(path, &error);
    if (!f) qWarning("%s", qPrintable(error));
    return f;
}

/// The tensor an expected logical entry names: a derived tensor unless the entry is
/// a stored tensor shown as it is (a bias); FP8 checkpoints store their codes under
/// the layer's weight name, so the logical one carries kDequantizedSuffix.
TensorPtr logicalFor(const WeightFile& f, const QJsonObject& entry) {
    const QString name = entry[QStringLiteral("name")].toString();
    const QJsonArray sources = entry[QStringLiteral("source_tensors")].toArray();
    const bool plain = sources.size() == 1 && sources[0].toString() == name;
    TensorPtr t = f.find(name);
    if (plain || (t && t->derived)) return t;
    return f.find(name + kDequantizedSuffix);
}

QString dtypeOfCode(const QString& code) {
    static const QHash<QString, QString> names = {
        {QStringLiteral("F32"), QStringLiteral("float32")},
        {QStringLiteral("F16"), QStringLiteral("float16")},
        {QStringLiteral("BF16"), QStringLiteral("bfloat16")},
        {QStringLiteral("I32"), QStringLiteral("int32")},
        {QStringLiteral("I8"), QStringLiteral("int8")},
        {QStringLiteral("U8"), QStringLiteral("uint8")},
        {QStringLiteral("F8_E4M3"), QStringLiteral("float8_e4m3fn")},
        {QStringLiteral("F8_E5M2"), QStringLiteral("float8_e5m2")}};
    return names.value(code, code);
}

/// Empty when every logical tensor of fixture \a name in \a f equals its expected
/// values (npy or edge rows/columns, and sha256), else the first difference.
QString compareLogical(const WeightFile& f, const QString& name) {
    const QJsonObject exp = quantExpected(name);
    for (const QJsonValue& v : exp[QStringLiteral("logical_tensors")].toArray()) {
        const QJsonObject e = v.toObject();
        const TensorPtr t = logicalFor(f, e);
        if (!t) return QStringLiteral("%1: no tensor for %2").arg(name, e["name"].toString());
        std::vector<int64_t> shape;
        for (const QJsonValue& d : e[QStringLiteral("shape")].toArray())
            shape.push_back(d.toInteger());
        if (t->shape != shape) return QStringLiteral("%1: shape %2").arg(t->name, t->shapeString());
        std::vector<float> got;
        QString err;
        if (!decodeAll(*t, &got, &err)) return err;
        const QString dir = quantFixture(name + QStringLiteral(".expected/"));
        const int64_t cols = shape.size() == 2 ? shape[1] : 1;
        if (!e[QStringLiteral("npy")].isNull()) {
            err = compareWithNpy(got, dir + e["npy"].toString(),
                                 [](int64_t i, const Npy&) { return i; });
        } else { // rows and columns around every block edge, plus the hash
            const QJsonArray rows = e[QStringLiteral("rows")].toArray();
            const QJsonArray colsAt = e[QStringLiteral("cols")].toArray();
            err = compareWithNpy(got, dir + e["rows_npy"].toString(), [&](int64_t i, const Npy&) {
                return rows[int(i / cols)].toInteger() * cols + i % cols;
            });
            if (err.isEmpty())
                err =
                    compareWithNpy(got, dir + e["cols_npy"].toString(), [&](int64_t i, const Npy&) {
                        const int64_t n = colsAt.size();
                        return (i / n) * cols + colsAt[int(i % n)].toInteger();
                    });
        }
        if (!err.isEmpty()) return err;
        if (sha256Of(got) != e[QStringLiteral("sha256_f32le")].toString())
            return QStringLiteral("%1: sha256 differs").arg(t->name);
    }
    return QString();
}

} // namespace

class TstQuantized : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void logicalValuesExact_data();
    void logicalValuesExact();
    void partialRangesMatchWhole();
    void layerTreeGroupsPackedTensors();
    void typeNamesAndDescriptions();
    void shardedModelAcrossShards();
    void pytorchBinCheckpoint();
    void savesSkipDerivedTensors();
};

void TstQuantized::logicalValuesExact_data() {
    QTest::addColumn<QString>("name");
    for (const QString& n : kFolders)
        QTest::newRow(qPrintable(n)) << n;
}

// Every logical tensor equals the generator's float32 values exactly, and every
// stored tensor is still there, as stored, readable raw.
void TstQuantized::logicalValuesExact() {
    QFETCH(QString, name);
    auto f = openModel(quantFixture(name + QStringLiteral("/model.safetensors")));
    QVERIFY(f);
    const QString diff = compareLogical(*f, name);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    const QJsonObject exp = quantExpected(name);
    const QJsonArray stored = exp[QStringLiteral("stored_tensors")].toArray();
    int derived = 0;
    for (const TensorPtr& t : f->tensors)
        derived += t->derived ? 1 : 0;
    QCOMPARE(f->tensors.size(), size_t(stored.size() + derived));
    for (const QJsonValue& v : stored) {
        const QJsonObject s = v.toObject();
        const TensorPtr t = f->find(s["name"].toString());
        QVERIFY2(t && !t->derived, qPrintable(s["name"].toString()));
        QCOMPARE(dtypeName(t->dtype), dtypeOfCode(s["dtype"].toString()));
        std::vector<double> raw;
        QString err;
        QVERIFY2(t->valuesDouble(&raw, &err), qPrintable(err));
    }
    // Each derived tensor lists exactly the stored tensors the generator used.
    for (const QJsonValue& v : exp[QStringLiteral("logical_tensors")].toArray()) {
        const QJsonObject e = v.toObject();
        const TensorPtr t = logicalFor(*f, e);
        if (!t->derived) continue;
        QStringList want;
        for (const QJsonValue& s : e["source_tensors"].toArray())
            want << s.toString();
        QStringList got = t->encoding->sources();
        want.sort();
        got.sort();
        QCOMPARE(got, want);
        QVERIFY(t->encoding->validate(*t).isEmpty());
        QCOMPARE(t->encoding->unitElements(), int64_t(0));
        QVERIFY(!t->encoding->readOnlyReason().isEmpty());
    }
}

// A heatmap asks for pieces (part of a row, rows in chunks): each equals the same
// elements of the whole.
void TstQuantized::partialRangesMatchWhole() {
    QRandomGenerator rng(1234);
    for (const QString& name : kFolders) {
        auto f = openModel(quantFixture(name + QStringLiteral("/model.safetensors")));
        QVERIFY(f);
        for (const TensorPtr& t : f->tensors) {
            if (!t->derived) continue;
            std::vector<float> whole;
            QString err;
            QVERIFY2(decodeAll(*t, &whole, &err), qPrintable(err));
            const int64_t n = t->numel(), cols = t->shape[1];
            for (int k = 0; k < 40; ++k) {
                int64_t first = int64_t(rng.bounded(quint32(n)));
                int64_t count =
                    int64_t(rng.bounded(quint32(std::min<int64_t>(n - first, 3 * cols)))) + 1;
                if (k == 0) first = 0, count = n;
                if (k == 1) first = cols - 3, count = cols + 5; // a row's end into the next
                std::vector<float> part(static_cast<size_t>(count));
                QVERIFY2(t->encoding->decode(*t, first, count, part.data(), &err), qPrintable(err));
                for (int64_t i = 0; i < count; ++i)
                    QVERIFY2(sameBits(part[size_t(i)], whole[size_t(first + i)]),
                             qPrintable(QStringLiteral("%1 at %2").arg(t->name).arg(first + i)));
            }
            std::vector<float> out(4);
            QVERIFY(!t->encoding->decode(*t, n - 2, 4, out.data(), &err));
            QVERIFY(err.contains(t->name));
        }
    }
}

void TstQuantized::layerTreeGroupsPackedTensors() {
    auto f = openModel(quantFixture(QStringLiteral("gptq_4bit_g32_desc_act/model.safetensors")));
    QVERIFY(f);
    auto root = buildLayerTree(*f);
    const LayerNode* node = root.get();
    for (const QString& part : QString::fromLatin1(kQProj).split(QLatin1Char('.'))) {
        node = node->child(part);
        QVERIFY2(node, qPrintable(part));
    }
    QStringList held;
    for (int i : node->tensors)
        held << f->tensors[size_t(i)]->name;
    const QString layer = QString::fromLatin1(kQProj);
    QCOMPARE(held, (QStringList{layer + ".bias", layer + ".weight"}));
    const int w = f->indexOf(layer + ".weight");
    QCOMPARE(node->packed.size(), size_t(1));
    QStringList packed;
    for (int i : node->packed.at(w))
        packed << f->tensors[size_t(i)]->name;
    QCOMPARE(packed, (QStringList{layer + ".qweight", layer + ".qzeros", layer + ".scales",
                                  layer + ".g_idx"}));
    QCOMPARE(node->kind, QStringLiteral("Linear"));
    QCOMPARE(node->detail, QStringLiteral("in 64 -> out 48"));
    QCOMPARE(node->parameterCount, int64_t(48 * 64 + 48));
    QCOMPARE(f->parameterCount(), int64_t(48 * 64 + 48));

    // FP8: the codes keep the name `weight`; the logical weight sits beside them.
    auto fp8 = openModel(quantFixture(QStringLiteral("fp8_block/model.safetensors")));
    QVERIFY(fp8);
    auto tree = buildLayerTree(*fp8);
    const LayerNode* down =
        tree->child("model")->child("layers")->child("0")->child("mlp")->child("down_proj");
    QVERIFY(down);
    QCOMPARE(down->tensors.size(), size_t(1));
    const Tensor& logical = *fp8->tensors[size_t(down->tensors[0])];
    QCOMPARE(logical.name, QStringLiteral("model.layers.0.mlp.down_proj.weight:dequantized"));
    QCOMPARE(down->packed.at(down->tensors[0]).size(), size_t(2));
    QCOMPARE(down->kind, QStringLiteral("Linear"));
    QCOMPARE(down->detail, QStringLiteral("in 260 -> out 300"));
    QCOMPARE(fp8->parameterCount(), int64_t(300 * 260 + 300));
}

void TstQuantized::typeNamesAndDescriptions() {
    const QList<std::pair<QString, QString>> types = {
        {QStringLiteral("fp8_block"), QStringLiteral("fp8 e4m3 (128x128 blocks)")},
        {QStringLiteral("ct_fp8_tensor"), QStringLiteral("fp8 e4m3 (per-tensor scale)")},
        {QStringLiteral("ct_fp8_channel"), QStringLiteral("fp8 e4m3 (per-channel scale)")},
        {QStringLiteral("gptq_4bit_g32"), QStringLiteral("gptq int4 (g32)")},
        {QStringLiteral("gptq_4bit_g32_desc_act"), QStringLiteral("gptq int4 (g32, act-order)")},
        {QStringLiteral("gptq_8bit"), QStringLiteral("gptq int8 (one group)")},
        {QStringLiteral("gptq_3bit"), QStringLiteral("gptq int3 (g32)")},
        {QStringLiteral("gptq_v2"), QStringLiteral("gptq int4 (g32)")},
        {QStringLiteral("awq_gemm_4bit_g32"), QStringLiteral("awq int4 (g32)")},
        {QStringLiteral("ct_nvfp4"), QStringLiteral("nvfp4")},
        {QStringLiteral("ct_mxfp4"), QStringLiteral("mxfp4")},
        {QStringLiteral("ct_int4_asym"), QStringLiteral("int4 (pack-quantized, asym)")},
        {QStringLiteral("gptq_2bit_desc_act"), QStringLiteral("gptq int2 (g16, act-order)")},
        {QStringLiteral("ct_int3_stream"), QStringLiteral("int3 (pack-quantized, asym)")},
        {QStringLiteral("ct_int3_actorder_perword"), QStringLiteral("int3 (pack-quantized, sym)")},
        {QStringLiteral("ct_int8_channel"), QStringLiteral("int8 (pack-quantized, sym)")},
        {QStringLiteral("ct_int8_naive_asym"), QStringLiteral("int8 (per-channel scale)")},
        {QStringLiteral("ct_fp8_block"), QStringLiteral("fp8 e4m3 (64x64 blocks)")},
        {QStringLiteral("fbgemm_fp8"), QStringLiteral("fp8 e4m3 (per-channel scale)")}};
    for (const auto& [name, type] : types) {
        auto f = openModel(quantFixture(name + QStringLiteral("/model.safetensors")));
        QVERIFY(f);
        const TensorPtr t = f->tensors.back();
        QVERIFY2(t->derived, qPrintable(name));
        QCOMPARE(t->typeName(), type);
        QCOMPARE(t->dtype, DType::Float32);
        const QString d = t->encoding->description();
        QVERIFY2(d.contains(QLatin1String("bits per weight")), qPrintable(d));
        QVERIFY2(d.contains(t->encoding->sources().front()), qPrintable(d));
    }
    auto g = openModel(quantFixture(QStringLiteral("gptq_v2/model.safetensors")));
    QVERIFY(g->tensors.back()->encoding->description().contains(QLatin1String("gptq_v2")));
    QVERIFY(g->tensors.back()->encoding->description().contains(QLatin1String("5.2917 bits")));
    auto fp8 = openModel(quantFixture(QStringLiteral("fp8_block/model.safetensors")));
    QVERIFY(fp8->tensors.back()->encoding->description().contains(QLatin1String("128 x 128")));
}

namespace {

QByteArray u64le(quint64 n) {
    QByteArray b(8, '\0');
    for (int i = 0; i < 8; ++i)
        b[i] = char((n >> (8 * i)) & 0xff);
    return b;
}

/// Writes the stored tensors \a names of \a f (read raw) as a safetensors file.
bool writeShard(const WeightFile& f, const QStringList& names, const QString& path) {
    static const QHash<QString, QString> codes = {
        {QStringLiteral("int32"), QStringLiteral("I32")},
        {QStringLiteral("float16"), QStringLiteral("F16")}};
    QByteArray header = "{", data;
    for (const QString& n : names) {
        const TensorPtr t = f.find(n);
        QByteArray bytes(qsizetype(t->storage->byteSize()), '\0');
        QString err;
        if (!t->storage->readBytes(0, bytes.size(), bytes.data(), &err)) return false;
        QStringList dims;
        for (int64_t d : t->shape)
            dims << QString::number(d);
        header +=
            QStringLiteral("%1\"%2\":{\"dtype\":\"%3\",\"shape\":[%4],\"data_offsets\":[%5,%6]}")
                .arg(header.size() > 1 ? "," : "", n, codes.value(dtypeName(t->dtype)),
                     dims.join(','))
                .arg(data.size())
                .arg(data.size() + bytes.size())
                .toUtf8();
        data += bytes;
    }
    header += '}';
    while (header.size() % 8)
        header += ' ';
    QFile out(path);
    return out.open(QIODevice::WriteOnly) &&
           out.write(u64le(quint64(header.size())) + header + data) > 0;
}

} // namespace

// The layer's qweight and g_idx in one shard, qzeros, scales and bias in the other.
void TstQuantized::shardedModelAcrossShards() {
    const QString name = QStringLiteral("gptq_4bit_g32_desc_act");
    QTemporaryDir dir;
    auto src = openModel(quantFixture(name + QStringLiteral("/model.safetensors")));
    QVERIFY(src);
    const QString l = QString::fromLatin1(kQProj);
    QVERIFY(writeShard(*src, {l + ".qweight", l + ".g_idx"},
                       dir.filePath("model-00001-of-00002.safetensors")));
    QVERIFY(writeShard(*src, {l + ".qzeros", l + ".scales", l + ".bias"},
                       dir.filePath("model-00002-of-00002.safetensors")));
    QFile index(dir.filePath("model.safetensors.index.json"));
    QVERIFY(index.open(QIODevice::WriteOnly));
    index.write(
        QStringLiteral("{\"metadata\":{},\"weight_map\":{\"%1.qweight\":\"model-00001-of-"
                       "00002.safetensors\",\"%1.g_idx\":\"model-00001-of-00002.safetensors\","
                       "\"%1.qzeros\":\"model-00002-of-00002.safetensors\",\"%1.scales\":"
                       "\"model-00002-of-00002.safetensors\",\"%1.bias\":\"model-00002-of-"
                       "00002.safetensors\"}}")
            .arg(l)
            .toUtf8());
    index.close();
    QVERIFY(QFile::copy(quantFixture(name + "/config.json"), dir.filePath("config.json")));
    auto f = openModel(index.fileName());
    QVERIFY(f);
    QCOMPARE(f->find(l + ".qweight")->storage->filePath(),
             dir.filePath("model-00001-of-00002.safetensors"));
    QCOMPARE(f->find(l + ".scales")->storage->filePath(),
             dir.filePath("model-00002-of-00002.safetensors"));
    const QString diff = compareLogical(*f, name);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    QCOMPARE(f->find(l + ".weight")->typeName(), QStringLiteral("gptq int4 (g32, act-order)"));
}

// GPTQ and AWQ models were shipped as pytorch_model.bin too: the same tensors in a
// torch.save state_dict (written here by the real torch from the fixture's bytes).
void TstQuantized::pytorchBinCheckpoint() {
    for (const QString& name : {QStringLiteral("gptq_3bit"), QStringLiteral("awq_gemm_4bit_g32")}) {
        QTemporaryDir dir;
        const QString script = QStringLiteral(
            "import json, struct, sys, numpy as np, torch\n"
            "src, dst = sys.argv[1], sys.argv[2]\n"
            "raw = open(src, 'rb').read()\n"
            "n = struct.unpack('<Q', raw[:8])[0]\n"
            "hdr = json.loads(raw[8:8 + n])\n"
            "types = {'I32': np.int32, 'F16': np.float16}\n"
            "sd = {}\n"
            "for k, v in hdr.items():\n"
            "    if k == '__metadata__': continue\n"
            "    a, b = v['data_offsets']\n"
            "    arr = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=types[v['dtype']])\n"
            "    sd[k] = torch.from_numpy(arr.reshape(v['shape']).copy())\n"
            "torch.save(sd, dst)\n");
        QString out;
        QCOMPARE(runPython({QStringLiteral("-c"), script,
                            quantFixture(name + QStringLiteral("/model.safetensors")),
                            dir.filePath("pytorch_model.bin")},
                           &out),
                 0);
        QVERIFY(QFile::copy(quantFixture(name + "/config.json"), dir.filePath("config.json")));
        auto f = openModel(dir.filePath("pytorch_model.bin"));
        QVERIFY2(f, qPrintable(out));
        QCOMPARE(f->formatId, QStringLiteral("pytorch"));
        const QString diff = compareLogical(*f, name);
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
    }
}

// Saving writes the stored tensors only, both in place and as a conversion.
void TstQuantized::savesSkipDerivedTensors() {
    QTemporaryDir dir;
    const QString name = QStringLiteral("awq_gemm_4bit_g32");
    for (const QString& file : {QStringLiteral("model.safetensors"), QStringLiteral("config.json")})
        QVERIFY(QFile::copy(quantFixture(name + "/" + file), dir.filePath(file)));
    auto opened = openModel(dir.filePath("model.safetensors"));
    QVERIFY(opened);
    const size_t total = opened->tensors.size();
    Document doc(std::move(opened));
    const QString l = QString::fromLatin1(kQProj);
    QString err;
    // A raw edit of a stored tensor (the bias) is saved; the logical weight is not.
    QVERIFY2(doc.edit(l + ".bias", Region::whole(*doc.file().find(l + ".bias")),
                      EditOperation::set(0.5), &err),
             qPrintable(err));
    QVERIFY2(doc.save(dir.filePath("model.safetensors"), &err), qPrintable(err));
    QVERIFY2(doc.save(dir.filePath("copy.pt"), &err, formatById(QStringLiteral("pytorch"))),
             qPrintable(err));
    for (const QString& saved : {QStringLiteral("model.safetensors"), QStringLiteral("copy.pt")}) {
        const QString path = dir.filePath(saved);
        QString e;
        const FileFormat* format = detectFormat(path, &e);
        QVERIFY2(format, qPrintable(e));
        auto raw = format->read(path, &e); // the file itself, no logical tensors added
        QVERIFY2(raw, qPrintable(e));
        QStringList names;
        for (const TensorPtr& t : raw->tensors)
            names << t->name;
        QCOMPARE(names, (QStringList{l + ".qweight", l + ".qzeros", l + ".scales", l + ".bias"}));
        std::vector<double> bias;
        QVERIFY2(raw->find(l + ".bias")->valuesDouble(&bias, &e), qPrintable(e));
        QCOMPARE(bias.front(), 0.5);
    }
    auto again = openModel(dir.filePath("model.safetensors"));
    QCOMPARE(again->tensors.size(), total);
    QCOMPARE(doc.file().tensors.size(), total);
}

QTEST_GUILESS_MAIN(TstQuantized)
#include "tst_quantized.moc"
