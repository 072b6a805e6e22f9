// The safetensors reader against files written from torch/numpy by
// tests/fixtures/make_safetensors_fixtures.py, and against hand-made files that
// break each rule of the reference reader.
#include "FormatRegistry.h"
#include "SafetensorsFormat.h"
#include "SafetensorsState.h"
#include "TestUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <cmath>

using namespace ws;

namespace {

QJsonObject expectedFor(const QString& rel) {
    QFile f(wstest::fixture(QStringLiteral("safetensors/") + rel +
                            QStringLiteral(".expected/expected.json")));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

QByteArray u64le(quint64 n) {
    QByteArray b(8, '\0');
    for (int i = 0; i < 8; ++i)
        b[i] = char((n >> (8 * i)) & 0xff);
    return b;
}

// A safetensors file from a header text and data bytes, length prefix computed.
QByteArray makeFile(const QByteArray& header, const QByteArray& data) {
    return u64le(quint64(header.size())) + header + data;
}

bool sameValue(double a, double b) {
    return a == b || (std::isnan(a) && std::isnan(b));
}

} // namespace

class TstSafetensorsReader : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    QString write(const QString& name, const QByteArray& bytes) {
        const QString path = m_tmp.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly)) return {};
        f.write(bytes);
        return path;
    }
    QStringList fixtureFiles() const {
        return {wstest::fixture(QStringLiteral("safetensors/mlp.safetensors")),
                wstest::fixture(QStringLiteral("safetensors/dtypes.safetensors")),
                wstest::fixture(QStringLiteral("safetensors/empty.safetensors")),
                wstest::fixture(
                    QStringLiteral("safetensors/sharded/model-00001-of-00002.safetensors"))};
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_tmp.isValid()); }

    void fixtureValues_data() {
        QTest::addColumn<QString>("rel");
        QTest::newRow("mlp") << QStringLiteral("mlp.safetensors");
        QTest::newRow("dtypes") << QStringLiteral("dtypes.safetensors");
        QTest::newRow("empty") << QStringLiteral("empty.safetensors");
        QTest::newRow("sharded") << QStringLiteral("sharded/model.safetensors.index.json");
    }

    void fixtureValues() {
        QFETCH(QString, rel);
        const QJsonObject expected = expectedFor(rel);
        QVERIFY2(!expected.isEmpty(), "run tests/fixtures/make_safetensors_fixtures.py");
        const QString path = wstest::fixture(QStringLiteral("safetensors/") + rel);
        QString error;
        auto file = openWeightFile(path, &error);
        QVERIFY2(file, qPrintable(error));
        QCOMPARE(file->formatId, QStringLiteral("safetensors"));
        const QJsonArray tensors = expected.value(QLatin1String("tensors")).toArray();
        QCOMPARE(int(file->tensors.size()), int(tensors.size()));
        const QString dir = path + QStringLiteral(".expected/");
        for (int i = 0; i < tensors.size(); ++i) {
            const QJsonObject e = tensors[i].toObject();
            const Tensor& t = *file->tensors[size_t(i)];
            QCOMPARE(t.name, e.value(QLatin1String("name")).toString()); // header order
            std::vector<int64_t> shape;
            for (const auto& d : e.value(QLatin1String("shape")).toArray())
                shape.push_back(d.toInteger());
            QCOMPARE(t.shape, shape);
            QCOMPARE(dtypeName(t.dtype), e.value(QLatin1String("dtype")).toString());
            QCOMPARE(t.numel(), e.value(QLatin1String("numel")).toInteger());
            QVERIFY(!t.storage->isLoaded()); // nothing but the header read at open
            wstest::Npy npy;
            QVERIFY(wstest::readNpy(dir + e.value(QLatin1String("npy")).toString(), &npy));
            std::vector<double> values;
            QVERIFY2(t.valuesDouble(&values, &error), qPrintable(error));
            QCOMPARE(values.size(), npy.values.size());
            for (size_t k = 0; k < values.size(); ++k)
                QVERIFY2(sameValue(values[k], npy.values[k]),
                         qPrintable(QStringLiteral("%1[%2]: %3 vs %4")
                                        .arg(t.name)
                                        .arg(k)
                                        .arg(values[k])
                                        .arg(npy.values[k])));
            if (t.dtype == DType::Complex64) {
                wstest::Npy imag;
                QVERIFY(
                    wstest::readNpy(dir + QString::number(i) + QStringLiteral(".imag.npy"), &imag));
                for (size_t k = 0; k < imag.values.size(); ++k) {
                    float im;
                    char raw[8];
                    QVERIFY(t.storage->readBytes(qint64(k) * 8, 8, raw, nullptr));
                    std::memcpy(&im, raw + 4, 4);
                    QCOMPARE(double(im), imag.values[k]);
                }
            }
        }
        const QJsonObject meta = expected.value(QLatin1String("metadata")).toObject();
        QCOMPARE(file->metadata.size(), meta.size());
        for (auto it = meta.begin(); it != meta.end(); ++it)
            QCOMPARE(file->metadata.value(it.key()), it.value().toString());
    }

    void stateKeepsHeaderLayout() {
        const QString path = wstest::fixture(QStringLiteral("safetensors/mlp.safetensors"));
        QString error;
        auto file = SafetensorsFormat().read(path, &error);
        QVERIFY2(file, qPrintable(error));
        auto state = std::dynamic_pointer_cast<SafetensorsState>(file->state);
        QVERIFY(state);
        QCOMPARE(int(state->shards.size()), 1);
        const SafetensorsHeader& h = state->shards[0];
        QCOMPARE(h.metadata.size(), size_t(2));
        QCOMPARE(h.metadata[0].first, QStringLiteral("format"));
        QCOMPARE(h.metadata[1].first, QStringLiteral("note"));
        QCOMPARE(h.headerLength % 8, 0);
        for (size_t i = 0; i < file->tensors.size(); ++i) {
            const auto [s, e] = state->tensorEntries[i];
            const SafetensorsEntry& entry = h.entries[size_t(e)];
            QCOMPARE(s, 0);
            QCOMPARE(entry.name, file->tensors[i]->name);
            QCOMPARE(file->tensors[i]->storage->fileOffset(), 8 + h.headerLength + entry.begin);
        }
        // The data layout is sorted by name but the header order is not.
        QVERIFY(h.entries[1].begin > h.entries[2].begin);
    }

    void shardedErrors() {
        QString error;
        const QString missing = wstest::fixture(
            QStringLiteral("safetensors/missing_shard/model.safetensors.index.json"));
        QVERIFY(!openWeightFile(missing, &error));
        QVERIFY2(error.contains(QLatin1String("model-00002-of-00002.safetensors")) &&
                     error.contains(QLatin1String("missing")),
                 qPrintable(error));
        for (const char* shard :
             {"../escape.safetensors", "/etc/passwd", "a/../../b.safetensors"}) {
            const QString index =
                write(QStringLiteral("bad.safetensors.index.json"),
                      QStringLiteral("{\"metadata\": {}, \"weight_map\": {\"w\": \"%1\"}}")
                          .arg(QLatin1String(shard))
                          .toUtf8());
            error.clear();
            QVERIFY(!openWeightFile(index, &error));
            QVERIFY2(error.contains(index) && error.contains(QLatin1String("inside")),
                     qPrintable(error));
        }
    }

    void shardedMapMismatch() {
        QDir dir(m_tmp.path());
        QVERIFY(dir.mkpath(QStringLiteral("ghost")));
        const QString shard = m_tmp.filePath(QStringLiteral("ghost/s1.safetensors"));
        QVERIFY(QFile::copy(
            wstest::fixture(QStringLiteral("safetensors/sharded/model-00001-of-00002.safetensors")),
            shard));
        const QString index = m_tmp.filePath(QStringLiteral("ghost/m.safetensors.index.json"));
        QFile f(index);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"weight_map\": {\"embed.weight\": \"s1.safetensors\", "
                "\"ghost.weight\": \"s1.safetensors\"}}");
        f.close();
        QString error;
        QVERIFY(!openWeightFile(index, &error));
        QVERIFY2(error.startsWith(index) && error.contains(QLatin1String("'ghost.weight'")),
                 qPrintable(error));
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("{\"weight_map\": {\"embed.weight\": 3}}");
        f.close();
        QVERIFY(!openWeightFile(index, &error));
        QVERIFY2(error.contains(QLatin1String("'embed.weight'")), qPrintable(error));
        // Tensors the map forgets still show, after the mapped ones.
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("{\"weight_map\": {\"layers.0.fc.bias\": \"s1.safetensors\"}}");
        f.close();
        auto file = openWeightFile(index, &error);
        QVERIFY2(file, qPrintable(error));
        QCOMPARE(int(file->tensors.size()), 4);
        QCOMPARE(file->tensors[0]->name, QStringLiteral("layers.0.fc.bias"));
        QCOMPARE(file->tensors[1]->name, QStringLiteral("embed.weight"));
    }

    void probe() {
        SafetensorsFormat f;
        QFile file(wstest::fixture(QStringLiteral("safetensors/mlp.safetensors")));
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(f.probe(file.read(4096), file.fileName()), 2);
        QFile index(
            wstest::fixture(QStringLiteral("safetensors/sharded/model.safetensors.index.json")));
        QVERIFY(index.open(QIODevice::ReadOnly));
        QCOMPARE(f.probe(index.read(4096), index.fileName()), 2);
        QCOMPARE(f.probe(QByteArray("garbage"), QStringLiteral("x.safetensors")), 1);
        QCOMPARE(f.probe(QByteArray("PK\x03\x04 more bytes"), QStringLiteral("x.pt")), 0);
    }

    void escapedNamesAndEmptyTensors() {
        const QByteArray header = "{\"a\\u00e9\\\"b\":{\"dtype\":\"F32\",\"shape\":[0,3],"
                                  "\"data_offsets\":[0,0]},\"z\":{\"dtype\":\"I16\",\"shape\":[],"
                                  "\"data_offsets\":[0,2]}}";
        const QString path = write(QStringLiteral("escaped.safetensors"),
                                   makeFile(header, QByteArray("\x05\x00", 2)));
        QString error;
        auto file = SafetensorsFormat().read(path, &error);
        QVERIFY2(file, qPrintable(error));
        QCOMPARE(int(file->tensors.size()), 2);
        QCOMPARE(file->tensors[0]->name, QString::fromUtf8("a\xc3\xa9\"b"));
        QCOMPARE(file->tensors[0]->numel(), 0);
        QCOMPARE(file->tensors[1]->rank(), 0);
        std::vector<double> v;
        QVERIFY(file->tensors[1]->valuesDouble(&v, &error));
        QCOMPARE(v, std::vector<double>{5.0});
    }

    void rejectsReferenceViolations_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("needle");
        const QByteArray f32x2 = QByteArray(8, '\1');
        auto entry = [](const char* name, const char* dtype, const char* shape, int b, int e) {
            return QStringLiteral("\"%1\":{\"dtype\":\"%2\",\"shape\":%3,\"data_offsets\":[%4,%5]}")
                .arg(QLatin1String(name), QLatin1String(dtype), QLatin1String(shape))
                .arg(b)
                .arg(e)
                .toUtf8();
        };
        QTest::newRow("hole") << makeFile('{' + entry("a", "F32", "[2]", 0, 8) + ',' +
                                              entry("b", "F32", "[2]", 12, 20) + '}',
                                          QByteArray(20, '\0'))
                              << "hole";
        QTest::newRow("overlap") << makeFile('{' + entry("a", "F32", "[2]", 0, 8) + ',' +
                                                 entry("b", "F32", "[2]", 4, 12) + '}',
                                             QByteArray(12, '\0'))
                                 << "overlap";
        QTest::newRow("wrong size")
            << makeFile('{' + entry("a", "F32", "[3]", 0, 8) + '}', f32x2) << "need 12";
        QTest::newRow("trailing bytes")
            << makeFile('{' + entry("a", "F32", "[2]", 0, 8) + '}', f32x2 + "xyz") << "holds 11";
        QTest::newRow("data missing, the rest overlapping")
            << makeFile('{' + entry("a", "F32", "[2]", 0, 8) + ',' +
                            entry("b", "F32", "[2]", 4, 12) + ',' +
                            entry("c", "F32", "[2]", 100, 108) + '}',
                        QByteArray(12, '\0'))
            << "outside";
        QTest::newRow("N too big") << u64le(200000000) + QByteArray("{}") << "exceeds";
        QTest::newRow("N past file") << u64le(1000) + QByteArray("{}   ") << "larger than";
        QTest::newRow("N huge") << u64le(~quint64(0)) + QByteArray("{}") << "exceeds";
        QTest::newRow("too short") << QByteArray("\x02\0\0", 3) << "too short";
        QTest::newRow("bad JSON") << makeFile("{\"a\": {\"dtype\": ", {}) << "JSON";
        QTest::newRow("not an object") << makeFile("[1, 2]  ", {}) << "'{'";
        QTest::newRow("bad UTF-8") << makeFile("{\"\xff\xfe\":{}}", {}) << "UTF-8";
        QTest::newRow("overlong UTF-8") << makeFile("{\"\xc0\xaf\":{}}", {}) << "UTF-8";
        QTest::newRow("absurd shape")
            << makeFile('{' + entry("a", "F32", "[1000000000000,1000000000000]", 0, 8) + '}', f32x2)
            << "absurd shape";
        QTest::newRow("negative dim")
            << makeFile('{' + entry("a", "F32", "[-2]", 0, 8) + '}', f32x2) << "'a'";
        QTest::newRow("fractional offset")
            << makeFile('{' + entry("a", "F32", "[2]", 0, 8).replace("8]", "8.5]") + '}', f32x2)
            << "data_offsets";
        QTest::newRow("reversed offsets")
            << makeFile('{' + entry("a", "F32", "[0]", 8, 0) + '}', f32x2) << "'a'";
        QTest::newRow("unknown dtype")
            << makeFile('{' + entry("my.tensor", "F4", "[2]", 0, 8) + '}', f32x2)
            << "unknown dtype 'F4'";
        QTest::newRow("metadata not strings")
            << makeFile("{\"__metadata__\":{\"n\":3}}", {}) << "__metadata__";
        QTest::newRow("duplicate name") << makeFile('{' + entry("a", "F32", "[2]", 0, 8) + ',' +
                                                        entry("a", "F32", "[2]", 8, 16) + '}',
                                                    QByteArray(16, '\0'))
                                        << "more than once";
        QTest::newRow("entry not object") << makeFile("{\"a\": 3}", {}) << "'a'";
    }

    void rejectsReferenceViolations() {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, needle);
        const QString path = write(QStringLiteral("bad.safetensors"), bytes);
        QString error;
        QVERIFY(!SafetensorsFormat().read(path, &error));
        QVERIFY2(error.startsWith(path + QStringLiteral(": ")), qPrintable(error));
        QVERIFY2(error.contains(needle), qPrintable(error));
    }

    // A file cut inside its data opens read-only: the tensors whose bytes are all
    // there with their values, the others listed with the problem; cut inside the
    // header, it is refused.
    void truncationSweep() {
        for (const QString& fixture : fixtureFiles()) {
            QFile f(fixture);
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray all = f.readAll();
            QString error;
            auto whole = SafetensorsFormat().read(fixture, &error);
            QVERIFY2(whole, qPrintable(error));
            int opened = 0;
            for (qsizetype len = 0; len < all.size(); ++len) {
                const QString path = write(QStringLiteral("trunc.safetensors"), all.left(len));
                auto file = SafetensorsFormat().read(path, &error);
                if (!file) {
                    QVERIFY(error.startsWith(path));
                    continue;
                }
                ++opened;
                QCOMPARE(file->tensors.size(), whole->tensors.size());
                int damaged = 0;
                for (size_t i = 0; i < file->tensors.size(); ++i) {
                    const Tensor& t = *file->tensors[i];
                    std::vector<double> got, want;
                    if (!t.problem.isEmpty()) {
                        ++damaged;
                        QVERIFY2(t.problem.startsWith(QLatin1String("truncated")) ||
                                     t.problem.startsWith(QLatin1String("out of range")),
                                 qPrintable(t.problem));
                        QVERIFY(!t.valuesDouble(&got, &error));
                        QVERIFY2(error.startsWith(path) && error.contains(t.name),
                                 qPrintable(error));
                        continue;
                    }
                    QVERIFY2(t.valuesDouble(&got, &error), qPrintable(error));
                    QVERIFY(whole->tensors[i]->valuesDouble(&want, &error));
                    QCOMPARE(got.size(), want.size());
                    for (size_t k = 0; k < got.size(); ++k)
                        QVERIFY(sameValue(got[k], want[k]));
                }
                QVERIFY2(damaged > 0,
                         qPrintable(QStringLiteral("%1 cut to %2").arg(fixture).arg(len)));
                QVERIFY(file->otherEntries.join(' ').contains(QLatin1String("read-only")));
            }
            if (whole->tensors.size() > 1) QVERIFY2(opened > 0, qPrintable(fixture));
        }
    }

    void randomByteFlips() {
        QRandomGenerator rng(20261128);
        for (const QString& fixture : fixtureFiles()) {
            QFile f(fixture);
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray all = f.readAll();
            for (int iter = 0; iter < 400; ++iter) {
                QByteArray bytes = all;
                const int flips = 1 + int(rng.bounded(4));
                for (int k = 0; k < flips; ++k) {
                    // Half the flips land in the header, where they matter most.
                    const qsizetype limit =
                        rng.bounded(2) ? qMin<qsizetype>(bytes.size(), 256) : bytes.size();
                    bytes[int(rng.bounded(int(limit)))] = char(rng.bounded(256));
                }
                const QString path = write(QStringLiteral("flip.safetensors"), bytes);
                QString error;
                auto file = SafetensorsFormat().read(path, &error);
                if (!file) {
                    QVERIFY(error.startsWith(path));
                    continue;
                }
                for (const auto& t : file->tensors) {
                    std::vector<double> v;
                    if (t->problem.isEmpty())
                        QVERIFY2(t->valuesDouble(&v, &error), qPrintable(error));
                    else
                        QVERIFY(!t->valuesDouble(&v, &error) && error.startsWith(path));
                }
            }
        }
    }

    // Real files damaged by byte surgery (tests/fixtures/make_realworld_damaged_fixtures.py):
    // the undamaged tensors open with their values, the damaged one is listed with its
    // reason, and the file is read-only: saving it in any format is refused.
    void damagedFilesOpenReadOnly_data() {
        QTest::addColumn<QString>("rel");
        QTest::newRow("offsets past end") << "damaged/offsets_past_end.safetensors";
        QTest::newRow("truncated") << "damaged/truncated.safetensors";
    }

    void damagedFilesOpenReadOnly() {
        QFETCH(QString, rel);
        const QString path = wstest::fixture(QStringLiteral("realworld/") + rel);
        QFile ef(path + QStringLiteral(".expected/expected.json"));
        QVERIFY(ef.open(QIODevice::ReadOnly));
        const QJsonObject expected = QJsonDocument::fromJson(ef.readAll()).object();
        QString error;
        auto file = openWeightFile(path, &error);
        QVERIFY2(file, qPrintable(error));
        for (const QJsonValue& v : expected.value(QLatin1String("tensors")).toArray()) {
            const QJsonObject e = v.toObject();
            const TensorPtr t = file->find(e.value(QLatin1String("name")).toString());
            QVERIFY(t);
            QVERIFY(t->problem.isEmpty());
            QCOMPARE(dtypeName(t->dtype), e.value(QLatin1String("dtype")).toString());
            wstest::Npy npy;
            QVERIFY(wstest::readNpy(path + QStringLiteral(".expected/") +
                                        e.value(QLatin1String("npy")).toString(),
                                    &npy));
            std::vector<double> values;
            QVERIFY2(t->valuesDouble(&values, &error), qPrintable(error));
            QCOMPARE(values, npy.values);
        }
        const QJsonArray damaged = expected.value(QLatin1String("damaged")).toArray();
        QCOMPARE(damaged.size(), 1);
        const QJsonObject d = damaged[0].toObject();
        const TensorPtr bad = file->find(d.value(QLatin1String("name")).toString());
        QVERIFY(bad);
        const QString reason = d.value(QLatin1String("reason")).toString().replace('_', ' ');
        QVERIFY2(bad->problem.startsWith(reason), qPrintable(bad->problem));
        QCOMPARE(bad->shape, std::vector<int64_t>({3, 3}));
        std::vector<double> values;
        QVERIFY(!bad->valuesDouble(&values, &error));
        QVERIFY2(error.startsWith(path) && error.contains(QLatin1String("'c'")), qPrintable(error));
        QVERIFY2(file->otherEntries.join(' ').contains(QLatin1String("read-only")),
                 qPrintable(file->otherEntries.join(' ')));
        for (const QString& suffix : {QStringLiteral("safetensors"), QStringLiteral("npz")}) {
            const QString out = m_tmp.filePath(QStringLiteral("saved.") + suffix);
            const FileFormat* format =
                suffix == QLatin1String("npz") ? formatById(QStringLiteral("numpy")) : file->format;
            QVERIFY(format);
            QVERIFY(!format->save(*file, out, &error));
            QVERIFY2(error.contains(QLatin1String("'c'")) ||
                         error.contains(QLatin1String("damaged")),
                     qPrintable(error));
            QVERIFY(!QFileInfo::exists(out));
        }
    }
};

QTEST_GUILESS_MAIN(TstSafetensorsReader)
#include "tst_safetensorsreader.moc"
