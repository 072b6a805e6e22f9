// The ggml block codecs against tests/fixtures/quant (values computed by the
// independent numpy reference ggml_ref.py, itself checked against ggml): every
// type's decoded values bit for bit, every reference quantizer byte for byte, and
// the one-block re-quantization of a cell edit.
#include "FormatRegistry.h"
#include "GgmlEncoding.h"
#include "GgmlTypes.h"
#include "GgufTestFile.h"
#include "TestUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <cmath>

using namespace ws;

namespace {

QJsonObject readJson(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

QByteArray readAllOf(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Same float32 bits, except that any NaN equals any NaN.
bool sameBits(double expected, float got) {
    if (std::isnan(expected)) return std::isnan(got);
    const float e = float(expected);
    return std::memcmp(&e, &got, 4) == 0;
}

const ggml::TypeTraits* traitsNamed(const QString& upper) {
    for (uint32_t id = 0; id < 64; ++id)
        if (const auto* t = ggml::typeTraits(id);
            t && QString::fromLatin1(t->name).toUpper() == upper)
            return t;
    return nullptr;
}

// Decodes all of \a t: through its encoding, or its plain dtype's bytes.
bool decodeAll(const Tensor& t, std::vector<float>* out, QString* error) {
    out->resize(size_t(t.numel()));
    if (t.encoding) return t.encoding->decode(t, 0, t.numel(), out->data(), error);
    QByteArray raw(int(t.storage->byteSize()), Qt::Uninitialized);
    if (!t.storage->readBytes(0, raw.size(), raw.data(), error)) return false;
    const int es = dtypeSize(t.dtype);
    for (int64_t i = 0; i < t.numel(); ++i)
        (*out)[size_t(i)] = float(readElement(raw.constData() + i * es, t.dtype));
    return true;
}

} // namespace

class TstGgmlCodecs : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void decodesEveryTypeLikeTheReference_data() {
        QTest::addColumn<QString>("file");
        for (const char* f : {"all_types", "v2", "aligned64", "unknown_type_41", "unknown_type_99"})
            QTest::newRow(f) << QString::fromLatin1(f);
    }
    void decodesEveryTypeLikeTheReference() {
        QFETCH(QString, file);
        const QString dir = wstest::fixture(QStringLiteral("quant/gguf/"));
        const QJsonObject exp = readJson(dir + file + QStringLiteral(".expected/expected.json"));
        QVERIFY(!exp.isEmpty());
        QString error;
        auto wf = openWeightFile(dir + file + QStringLiteral(".gguf"), &error);
        QVERIFY2(wf, qPrintable(error));
        int checked = 0;
        for (const QJsonValue& v : exp.value(QLatin1String("tensors")).toArray()) {
            const QJsonObject e = v.toObject();
            const QString name = e.value(QLatin1String("name")).toString();
            const TensorPtr t = wf->find(name);
            QVERIFY2(t, qPrintable(name));
            if (e.value(QLatin1String("npy")).isNull()) {
                QVERIFY2(!t->problem.isEmpty(), qPrintable(name));
                continue;
            }
            QVERIFY2(t->problem.isEmpty(), qPrintable(t->problem));
            wstest::Npy npy;
            QVERIFY(wstest::readNpy(
                dir + file + QStringLiteral(".expected/") + name + QStringLiteral(".npy"), &npy));
            QCOMPARE(t->shape, npy.shape);
            std::vector<float> got;
            QVERIFY2(decodeAll(*t, &got, &error), qPrintable(error));
            QCOMPARE(got.size(), npy.values.size());
            for (size_t i = 0; i < got.size(); ++i)
                if (!sameBits(npy.values[i], got[i]))
                    QFAIL(qPrintable(QStringLiteral("%1 (%2) element %3: %4, expected %5")
                                         .arg(name, t->typeName())
                                         .arg(i)
                                         .arg(double(got[i]), 0, 'g', 9)
                                         .arg(npy.values[i], 0, 'g', 9)));
            ++checked;
        }
        QVERIFY(checked >= 2);
    }

    // Any [first, first + count) decodes to the same values as the whole tensor.
    void decodesPartialRanges() {
        QString error;
        auto wf =
            openWeightFile(wstest::fixture(QStringLiteral("quant/gguf/all_types.gguf")), &error);
        QVERIFY2(wf, qPrintable(error));
        for (const TensorPtr& t : wf->tensors) {
            if (!t->encoding) continue;
            std::vector<float> all;
            QVERIFY2(decodeAll(*t, &all, &error), qPrintable(error));
            const int64_t n = t->numel();
            const int64_t cases[][2] = {{0, 1},  {1, 3},     {n - 1, 1}, {5, n - 9},
                                        {31, 2}, {255, 258}, {0, n},     {n / 2, n - n / 2}};
            for (const auto& c : cases) {
                if (c[0] < 0 || c[1] < 0 || c[0] + c[1] > n) continue;
                std::vector<float> part(size_t(c[1]), -12345.f);
                QVERIFY2(t->encoding->decode(*t, c[0], c[1], part.data(), &error),
                         qPrintable(error));
                QVERIFY2(std::memcmp(part.data(), all.data() + c[0], size_t(c[1]) * 4) == 0,
                         qPrintable(t->name));
            }
            std::vector<float> one(1);
            QVERIFY(!t->encoding->decode(*t, n, 1, one.data(), &error));
        }
    }

    // Ranges that span several read chunks (256 KiB of blocks) decode like the blocks.
    void decodesAcrossChunks() {
        const ggml::TypeTraits& q4 = *ggml::typeTraits(2);
        const int64_t nBlocks = 4096 / 32 * 160; // 368,640 bytes
        QByteArray raw(int(nBlocks * 18), Qt::Uninitialized);
        for (int i = 0; i < raw.size(); ++i)
            raw[i] = char((i * 2654435761u) >> 13);
        for (int64_t b = 0; b < nBlocks; ++b) { // d = 0.0101
            raw[int(b * 18)] = char(0x1F);
            raw[int(b * 18 + 1)] = char(0x21);
        }
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("big.gguf"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(wstest::ggufTestFile({{"general.architecture", "llama"}},
                                     {{"big.weight", {4096, 160}, 2, raw}}));
        f.close();
        QString error;
        auto wf = openWeightFile(path, &error);
        QVERIFY2(wf, qPrintable(error));
        const Tensor& t = *wf->tensors[0];
        std::vector<float> expected(size_t(nBlocks * 32));
        q4.decode(reinterpret_cast<const uint8_t*>(raw.constData()), nBlocks, expected.data());
        for (const auto& c : {std::pair<int64_t, int64_t>{0, t.numel()},
                              {37, 600000},
                              {262140, 10},
                              {14563 * 32 - 5, 70},
                              {t.numel() - 33, 33}}) {
            std::vector<float> got(size_t(c.second));
            QVERIFY2(t.encoding->decode(t, c.first, c.second, got.data(), &error),
                     qPrintable(error));
            QVERIFY(std::memcmp(got.data(), expected.data() + c.first, got.size() * 4) == 0);
        }
    }

    void quantizesLikeTheReference_data() {
        QTest::addColumn<QString>("type");
        for (const char* t :
             {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
              "Q8_K", "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0", "MXFP4", "NVFP4"})
            QTest::newRow(t) << QString::fromLatin1(t);
    }
    // The whole input in one call gives the reference's blocks; each edit scenario
    // re-quantizes one block to the reference's new block and stored value.
    void quantizesLikeTheReference() {
        QFETCH(QString, type);
        const QString dir = wstest::fixture(QStringLiteral("quant/gguf/requant/"));
        const ggml::TypeTraits* traits = traitsNamed(type);
        QVERIFY(traits && traits->quantize);
        GgmlEncoding enc(*traits);
        QCOMPARE(enc.unitElements(), int64_t(traits->blockElements));
        QCOMPARE(enc.unitBytes(), int64_t(traits->blockBytes));
        wstest::Npy input;
        QVERIFY(wstest::readNpy(dir + type + QStringLiteral("_input.npy"), &input));
        const QByteArray expected = readAllOf(dir + type + QStringLiteral("_blocks.bin"));
        const int64_t nBlocks = int64_t(input.values.size()) / traits->blockElements;
        QCOMPARE(int64_t(expected.size()), nBlocks * traits->blockBytes);
        std::vector<float> x(input.values.begin(), input.values.end());
        QByteArray got(expected.size(), '\x55');
        QString error;
        QVERIFY2(enc.encodeUnits(x.data(), nBlocks, got.data(), &error), qPrintable(error));
        for (int64_t b = 0; b < nBlocks; ++b) {
            const QByteArray e = expected.mid(b * traits->blockBytes, traits->blockBytes);
            const QByteArray g = got.mid(b * traits->blockBytes, traits->blockBytes);
            QVERIFY2(e == g, qPrintable(QStringLiteral("block %1: %2, expected %3")
                                            .arg(b)
                                            .arg(QString::fromLatin1(g.toHex()),
                                                 QString::fromLatin1(e.toHex()))));
        }
        const QJsonObject doc = readJson(dir + type + QStringLiteral("_edit.json"));
        QJsonArray scenarios = doc.value(QLatin1String("also")).toArray();
        scenarios.prepend(doc);
        for (const QJsonValue& sv : scenarios) {
            const QJsonObject s = sv.toObject();
            const QByteArray oldBlock =
                QByteArray::fromHex(s.value(QLatin1String("old_block_hex")).toString().toLatin1());
            const int e = s.value(QLatin1String("element_in_block")).toInt();
            std::vector<float> values(static_cast<size_t>(traits->blockElements));
            traits->decode(reinterpret_cast<const uint8_t*>(oldBlock.constData()), 1,
                           values.data());
            QCOMPARE(double(values[size_t(e)]), s.value(QLatin1String("old_value")).toDouble());
            values[size_t(e)] = float(s.value(QLatin1String("typed_value")).toDouble());
            QByteArray block(traits->blockBytes, '\0');
            QVERIFY(enc.encodeUnits(values.data(), 1, block.data(), &error));
            QCOMPARE(QString::fromLatin1(block.toHex()),
                     s.value(QLatin1String("new_block_hex")).toString());
            traits->decode(reinterpret_cast<const uint8_t*>(block.constData()), 1, values.data());
            QCOMPARE(double(values[size_t(e)]), s.value(QLatin1String("stored_value")).toDouble());
        }
    }

    void refusesWhatCannotBeStored() {
        GgmlEncoding q4(*ggml::typeTraits(2));
        std::vector<float> x(32, 1.0f);
        x[3] = NAN;
        QByteArray out(18, '\0');
        QString error;
        QVERIFY(!q4.encodeUnits(x.data(), 1, out.data(), &error));
        QVERIFY2(error.contains(QLatin1String("q4_0")), qPrintable(error));
        GgmlEncoding iq2(*ggml::typeTraits(16));
        QCOMPARE(iq2.typeName(), QStringLiteral("iq2_xxs"));
        QCOMPARE(iq2.unitElements(), int64_t(0));
        QVERIFY(iq2.readOnlyReason().contains(QLatin1String("reference quantizer")));
        QVERIFY(!iq2.encodeUnits(x.data(), 1, out.data(), &error));
    }

    void describesTheEncoding() {
        GgmlEncoding q4k(*ggml::typeTraits(12));
        QCOMPARE(q4k.typeName(), QStringLiteral("q4_K"));
        const QString d = q4k.description();
        QVERIFY2(d.contains(QLatin1String("256 values per 144-byte block")), qPrintable(d));
        QVERIFY2(d.contains(QLatin1String("4.5 bits per weight")), qPrintable(d));
        QVERIFY2(d.contains(QLatin1String("dmin")), qPrintable(d));
        QCOMPARE(ggml::bitsPerWeight(*ggml::typeTraits(16)), 2.0625);
    }
};

QTEST_GUILESS_MAIN(TstGgmlCodecs)
#include "tst_ggmlcodecs.moc"
