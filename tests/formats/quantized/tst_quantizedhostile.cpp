// Quantized checkpoints whose config or tensors lie (absurd bits or group sizes,
// unsupported layouts, shapes that contradict the config, g_idx out of range, an
// unreadable config) and checkpoints without any config: the logical tensor says
// what is wrong (Tensor::problem, or a decode error naming the tensor), nothing
// crashes, and the stored tensors still open raw.
#include "FormatRegistry.h"
#include "QuantExpected.h"
#include "QuantizedLayers.h"

#include <QJsonDocument>
#include <QTemporaryDir>

using namespace ws;
using namespace wstest;

namespace {

const QString kLayer = QStringLiteral("model.layers.0.self_attn.q_proj");

/// A copy of fixture folder \a name in \a dir, with \a patch applied to the
/// quantization config in config.json (and quantize_config.json when there is one).
bool copyFixture(const QString& name, const QTemporaryDir& dir,
                 const std::function<void(QJsonObject&)>& patch = {}) {
    const QDir src(quantFixture(name));
    for (const QString& f : src.entryList(QDir::Files)) {
        QFile::remove(dir.filePath(f));
        if (!QFile::copy(src.filePath(f), dir.filePath(f))) return false;
        QFile::setPermissions(dir.filePath(f), QFile::ReadOwner | QFile::WriteOwner);
    }
    if (!patch) return true;
    for (const QString& f :
         {QStringLiteral("config.json"), QStringLiteral("quantize_config.json")}) {
        QFile file(dir.filePath(f));
        if (!file.exists()) continue;
        if (!file.open(QIODevice::ReadWrite)) return false;
        QJsonObject root = QJsonDocument::fromJson(file.readAll()).object();
        if (f == QLatin1String("config.json")) {
            QJsonObject q = root[QStringLiteral("quantization_config")].toObject();
            patch(q);
            root[QStringLiteral("quantization_config")] = q;
        } else {
            patch(root);
        }
        file.resize(0);
        file.write(QJsonDocument(root).toJson());
    }
    return true;
}

std::unique_ptr<WeightFile> openIn(const QTemporaryDir& dir) {
    QString error;
    auto f = openWeightFile(dir.filePath(QStringLiteral("model.safetensors")), &error);
    if (!f) qWarning("%s", qPrintable(error));
    return f;
}

/// The problem of layer \a prefix's logical tensor (empty when it decodes).
QString problemOf(const WeightFile& f, const QString& prefix = kLayer) {
    TensorPtr t = f.find(prefix + QStringLiteral(".weight"));
    if (t && !t->derived) t = f.find(prefix + QStringLiteral(".weight") + kDequantizedSuffix);
    if (!t) return QStringLiteral("(no logical tensor)");
    return t->problem;
}

/// Every stored tensor still reads raw.
QString storedReadable(const WeightFile& f) {
    for (const TensorPtr& t : f.tensors) {
        if (t->derived) continue;
        std::vector<double> v;
        QString err;
        if (!t->valuesDouble(&v, &err)) return err;
    }
    return QString();
}

/// Overwrites \a size bytes of stored tensor \a name at \a offset in the file.
bool patchTensorBytes(const WeightFile& f, const QString& name, qint64 offset,
                      const QByteArray& bytes) {
    const TensorPtr t = f.find(name);
    QFile file(t->storage->filePath());
    return file.open(QIODevice::ReadWrite) && file.seek(t->storage->fileOffset() + offset) &&
           file.write(bytes) == bytes.size();
}

} // namespace

class TstQuantizedHostile : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void configLies_data();
    void configLies();
    void unreadableConfig();
    void gIdxOutOfRange();
    void tensorsContradictConfig();
    void withoutConfig();
    void olderConfigFiles();
    void missingComponent();
};

void TstQuantizedHostile::configLies_data() {
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QString>("problem");
    QTest::newRow("gptq bits 5") << "gptq_4bit_g32"
                                 << "bits" << QJsonValue(5)
                                 << "bits 5 (config.json) is not 2, 3, 4 or 8";
    QTest::newRow("gptq bits huge")
        << "gptq_4bit_g32"
        << "bits" << QJsonValue(1e15) << "bits 1000000000000000 (config.json)";
    QTest::newRow("gptq bits text")
        << "gptq_4bit_g32"
        << "bits" << QJsonValue("four") << "bits 0 (config.json) is not 2, 3, 4 or 8";
    QTest::newRow("gptq group 0") << "gptq_4bit_g32"
                                  << "group_size" << QJsonValue(0)
                                  << "group_size 0 (config.json) is not a positive size or -1";
    QTest::newRow("gptq group -7")
        << "gptq_4bit_g32"
        << "group_size" << QJsonValue(-7) << "group_size -7 (config.json)";
    QTest::newRow("gptq group 7")
        << "gptq_4bit_g32"
        << "group_size" << QJsonValue(7)
        << "model.layers.0.self_attn.q_proj.scales is float16 [2, 48], expected float32 or "
           "float16 or bfloat16 [10, 48]";
    QTest::newRow("gptq marlin")
        << "gptq_4bit_g32"
        << "checkpoint_format" << QJsonValue("marlin")
        << "GPTQ checkpoint format 'marlin' (config.json) is not supported";
    QTest::newRow("gptq 3 as 4 bits")
        << "gptq_3bit"
        << "bits" << QJsonValue(4) << "qzeros is int32 [2, 6], expected int32 or uint32 [2, 8]";
    QTest::newRow("awq bits 8") << "awq_gemm_4bit_g32"
                                << "bits" << QJsonValue(8) << "AWQ bits 8 (config.json) is not 4";
    QTest::newRow("awq gemv") << "awq_gemm_4bit_g32"
                              << "version" << QJsonValue("gemv")
                              << "AWQ version 'gemv' (config.json) is not supported";
    QTest::newRow("awq group 5") << "awq_gemm_4bit_g32"
                                 << "group_size" << QJsonValue(5)
                                 << "group_size 5 (config.json) does not divide the 64 inputs";
    QTest::newRow("fp8 block 64")
        << "fp8_block"
        << "weight_block_size" << QJsonValue(QJsonArray{64, 64})
        << "weight_scale_inv is [3, 3], expected [5, 5] for a 300 x 260 weight in 64x64 blocks";
    QTest::newRow("fp8 block 0") << "fp8_block"
                                 << "weight_block_size" << QJsonValue(QJsonArray{0, -1}) << "";
    QTest::newRow("unknown method") << "gptq_4bit_g32"
                                    << "quant_method" << QJsonValue("hqq")
                                    << "quantization method 'hqq' (config.json) is not supported";
    QTest::newRow("ct no group targets")
        << "ct_int4_asym"
        << "config_groups"
        << QJsonValue(QJsonObject{{"g", QJsonObject{{"targets", QJsonArray{"re:((("}}}}})
        << "no config group of config.json targets it";
    QTest::newRow("ct format")
        << "ct_int4_asym"
        << "config_groups"
        << QJsonValue(QJsonObject{{"group_0", QJsonObject{{"targets", QJsonArray{"Linear"}},
                                                          {"format", "marlin-24"}}}})
        << "compressed-tensors format 'marlin-24' (config.json) is not supported";
    QTest::newRow("ct bits 9") << "ct_int4_asym"
                               << "config_groups"
                               << QJsonValue(QJsonObject{
                                      {"group_0",
                                       QJsonObject{{"targets", QJsonArray{"re:.*q_proj$"}},
                                                   {"format", "pack-quantized"},
                                                   {"weights", QJsonObject{{"num_bits", 9}}}}}})
                               << "num_bits 9 (config.json) is not 1 to 8";
}

// A config that contradicts the tensors: the logical tensor names the problem and
// the stored tensors still read raw.
void TstQuantizedHostile::configLies() {
    QFETCH(QString, fixture);
    QFETCH(QString, key);
    QFETCH(QJsonValue, value);
    QFETCH(QString, problem);
    QTemporaryDir dir;
    QVERIFY(copyFixture(fixture, dir, [&](QJsonObject& q) { q[key] = value; }));
    auto f = openIn(dir);
    QVERIFY(f);
    const QString prefix = fixture == QLatin1String("fp8_block")
                               ? QStringLiteral("model.layers.0.mlp.down_proj")
                               : kLayer;
    const QString got = problemOf(*f, prefix);
    if (problem.isEmpty()) { // an unusable block size: the default 128 x 128 applies
        QVERIFY2(got.isEmpty(), qPrintable(got));
    } else {
        QVERIFY2(got.contains(problem), qPrintable(got));
    }
    const QString raw = storedReadable(*f);
    QVERIFY2(raw.isEmpty(), qPrintable(raw));
}

void TstQuantizedHostile::unreadableConfig() {
    QTemporaryDir dir;
    QVERIFY(copyFixture(QStringLiteral("gptq_4bit_g32"), dir));
    for (const QByteArray& text :
         {QByteArray("{\"quantization_config\": [1, 2"), QByteArray("[1, 2, 3]"),
          QByteArray("{\"quantization_config\": 7}")}) {
        QFile c(dir.filePath("config.json"));
        QVERIFY(c.open(QIODevice::WriteOnly | QIODevice::Truncate));
        c.write(text);
        c.close();
        auto f = openIn(dir);
        QVERIFY(f);
        const QString got = problemOf(*f);
        QVERIFY2(got.contains(QLatin1String("config.json")), qPrintable(got));
        QVERIFY(storedReadable(*f).isEmpty());
    }
}

// g_idx is data: a value outside the groups fails the decode with a message naming
// g_idx, the element and the group count.
void TstQuantizedHostile::gIdxOutOfRange() {
    QTemporaryDir dir;
    QVERIFY(copyFixture(QStringLiteral("gptq_4bit_g32_desc_act"), dir));
    {
        auto f = openIn(dir);
        QVERIFY(f);
        QByteArray bad(4, '\0');
        bad[0] = char(99);
        QVERIFY(patchTensorBytes(*f, kLayer + ".g_idx", 5 * 4, bad));
    }
    auto f = openIn(dir);
    QVERIFY(f);
    const TensorPtr t = f->find(kLayer + ".weight");
    QVERIFY(t && t->derived && t->problem.isEmpty());
    std::vector<float> out;
    QString err;
    QVERIFY(!decodeAll(*t, &out, &err));
    QVERIFY2(err.contains(kLayer + ".g_idx[5] = 99 is outside the 2 groups"), qPrintable(err));
    // Elements before the bad input still decode.
    std::vector<float> head(5);
    QVERIFY2(t->encoding->decode(*t, 0, 5, head.data(), &err), qPrintable(err));
    QVERIFY(storedReadable(*f).isEmpty());
}

// Stored tensors whose shapes or types do not fit the config (edited in memory).
void TstQuantizedHostile::tensorsContradictConfig() {
    struct Case {
        QString fixture, tensor;
        std::function<void(Tensor&)> change;
        QString problem;
    };
    const QList<Case> cases = {
        {"gptq_4bit_g32", "qzeros",
         [](Tensor& t) {
             t.setContiguousShape({2, 5});
         },
         "qzeros is int32 [2, 5], expected int32 or uint32 [2, 6]"},
        {"gptq_4bit_g32", "scales", [](Tensor& t) { t.dtype = DType::Int16; },
         "scales is int16 [2, 48], expected float32 or float16 or bfloat16"},
        {"gptq_3bit", "qweight",
         [](Tensor& t) {
             t.setContiguousShape({5, 64});
         },
         "qweight has 5 rows, which do not hold whole 3-bit columns"},
        {"gptq_4bit_g32", "qweight", [](Tensor& t) { t.setContiguousShape({384}); },
         "qweight has shape [384], expected 2 dimensions"},
        {"gptq_4bit_g32", "g_idx", [](Tensor& t) { t.setContiguousShape({32}); },
         "g_idx is int32 [32], expected int32 [64]"},
        {"awq_gemm_4bit_g32", "qzeros", [](Tensor& t) { t.dtype = DType::Float32; },
         "qzeros is float32 [2, 6], expected int32 or uint32 [2, 6]"},
        {"ct_int4_asym", "weight_shape",
         [](Tensor& t) {
             int32_t shape[2] = {48, 9999};
             t.storage = Storage::fromBytes(QByteArray(reinterpret_cast<char*>(shape), 8), "s");
         },
         "weight_packed is [48, 8], expected [48, 1250] for weight_shape [48, 9999]"},
        {"ct_int4_asym", "weight_shape",
         [](Tensor& t) {
             int32_t shape[2] = {-48, 64};
             t.storage = Storage::fromBytes(QByteArray(reinterpret_cast<char*>(shape), 8), "s");
         },
         "weight_shape holds [-48, 64], not a shape"},
        {"ct_int4_asym", "weight_zero_point", [](Tensor& t) { t.setContiguousShape({12}); },
         "weight_zero_point is int32 [12], expected int32 [6, 2] (packed)"},
        {"ct_nvfp4", "weight_scale",
         [](Tensor& t) {
             t.setContiguousShape({48, 2});
         },
         "weight_scale is float8_e4m3fn [48, 2], expected"},
        {"ct_mxfp4", "weight_packed",
         [](Tensor& t) {
             t.setContiguousShape({32, 48});
         },
         "weight_scale is uint8 [48, 2], expected uint8 [32, 3]"},
        {"ct_fp8_channel", "weight_scale",
         [](Tensor& t) {
             t.setContiguousShape({24, 2});
         },
         "weight_scale [24, 2] fits no scale layout of a 48 x 64 weight"},
    };
    for (const Case& c : cases) {
        QTemporaryDir dir;
        QVERIFY(copyFixture(c.fixture, dir));
        const QString path = dir.filePath(QStringLiteral("model.safetensors"));
        QString err;
        auto f = formatById(QStringLiteral("safetensors"))->read(path, &err);
        QVERIFY2(f, qPrintable(err));
        const TensorPtr t = f->find(kLayer + "." + c.tensor);
        QVERIFY2(t, qPrintable(c.tensor));
        c.change(*t);
        addLogicalTensors(*f, dir.path());
        const QString got = problemOf(*f);
        QVERIFY2(got.contains(c.problem), qPrintable(c.fixture + ": " + got));
    }
}

// No config beside the file: the layouts the tensors tell unambiguously are decoded
// (and say so); the others say why they cannot be.
void TstQuantizedHostile::withoutConfig() {
    for (const QString& name :
         {QStringLiteral("fp8_block"), QStringLiteral("gptq_4bit_g32"),
          QStringLiteral("gptq_4bit_g32_desc_act"), QStringLiteral("gptq_3bit"),
          QStringLiteral("gptq_8bit"), QStringLiteral("awq_gemm_4bit_g32"),
          QStringLiteral("ct_fp8_channel")}) {
        QTemporaryDir dir;
        QVERIFY(QFile::copy(quantFixture(name + "/model.safetensors"),
                            dir.filePath("model.safetensors")));
        auto f = openIn(dir);
        QVERIFY(f);
        const TensorPtr t = f->tensors.back();
        QVERIFY2(t->derived && t->problem.isEmpty(), qPrintable(name + ": " + t->problem));
        QVERIFY(t->encoding->description().contains(QLatin1String("inferred")));
        std::vector<float> got;
        QString err;
        QVERIFY2(decodeAll(*t, &got, &err), qPrintable(err));
        const QJsonObject exp = quantExpected(name);
        const QJsonObject e = exp["logical_tensors"].toArray()[0].toObject();
        QCOMPARE(sha256Of(got), e["sha256_f32le"].toString());
    }
    QTemporaryDir dir;
    QVERIFY(QFile::copy(quantFixture("ct_int4_asym/model.safetensors"),
                        dir.filePath("model.safetensors")));
    auto f = openIn(dir);
    QVERIFY(f);
    QVERIFY2(problemOf(*f).contains(QLatin1String("no quantization config")),
             qPrintable(problemOf(*f)));
    QVERIFY(storedReadable(*f).isEmpty());
}

// AutoGPTQ's quantize_config.json alone, and AutoAWQ's quant_config.json (w_bit,
// q_group_size, version "GEMM"), as older hub models ship them.
void TstQuantizedHostile::olderConfigFiles() {
    {
        QTemporaryDir dir;
        QVERIFY(copyFixture(QStringLiteral("gptq_4bit_g32_desc_act"), dir));
        QVERIFY(QFile::remove(dir.filePath("config.json")));
        auto f = openIn(dir);
        QVERIFY(f);
        const TensorPtr t = f->find(kLayer + ".weight");
        QVERIFY2(t && t->problem.isEmpty(), qPrintable(problemOf(*f)));
        QCOMPARE(t->typeName(), QStringLiteral("gptq int4 (g32, act-order)"));
        QVERIFY(
            t->encoding->description().endsWith(QLatin1String("layout from quantize_config.json")));
    }
    QTemporaryDir dir;
    QVERIFY(QFile::copy(quantFixture("awq_gemm_4bit_g32/model.safetensors"),
                        dir.filePath("model.safetensors")));
    QFile c(dir.filePath("quant_config.json"));
    QVERIFY(c.open(QIODevice::WriteOnly));
    c.write("{\"zero_point\": true, \"q_group_size\": 32, \"w_bit\": 4, \"version\": \"GEMM\"}");
    c.close();
    auto f = openIn(dir);
    QVERIFY(f);
    const TensorPtr t = f->find(kLayer + ".weight");
    QVERIFY2(t && t->problem.isEmpty(), qPrintable(problemOf(*f)));
    QCOMPARE(t->typeName(), QStringLiteral("awq int4 (g32)"));
    std::vector<float> got;
    QString err;
    QVERIFY2(decodeAll(*t, &got, &err), qPrintable(err));
    const QJsonObject e = quantExpected(QStringLiteral("awq_gemm_4bit_g32"))["logical_tensors"]
                              .toArray()[0]
                              .toObject();
    QCOMPARE(sha256Of(got), e["sha256_f32le"].toString());
}

// A layer whose qzeros or scales is missing (a shard left out of the map, a
// truncated export) says which.
void TstQuantizedHostile::missingComponent() {
    for (const QString& leaf : {QStringLiteral("qzeros"), QStringLiteral("scales")}) {
        QTemporaryDir dir;
        QVERIFY(copyFixture(QStringLiteral("gptq_4bit_g32"), dir));
        QString err;
        auto f = formatById(QStringLiteral("safetensors"))
                     ->read(dir.filePath(QStringLiteral("model.safetensors")), &err);
        QVERIFY2(f, qPrintable(err));
        f->tensors.erase(f->tensors.begin() + f->indexOf(kLayer + "." + leaf));
        addLogicalTensors(*f, dir.path());
        QVERIFY2(problemOf(*f).contains(
                     QStringLiteral("GPTQ needs %1.%2 beside %1.qweight").arg(kLayer, leaf)),
                 qPrintable(problemOf(*f)));
    }
}

QTEST_GUILESS_MAIN(TstQuantizedHostile)
#include "tst_quantizedhostile.moc"
