// PyTorch files met in the wild, made by the real torch 1.13 (tests/fixtures/
// realworld/, see its README): legacy pickles of protocols 2-5, dicts with int,
// dotted and tensor keys, quantized, sparse and complex tensors, TorchScript
// archives, sharded .bin models, damaged files, and a pickle made big by a list of
// step counts. Each is compared with what torch itself read back.
#include "Document.h"
#include "FormatRegistry.h"
#include "Pickle.h"
#include "PyTorchFormat.h"
#include "PyTorchWriter.h"
#include "PyTorchZipState.h"
#include "SafetensorsFormat.h"
#include "TestUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <cmath>

using namespace ws;

namespace {

QJsonObject expected(const QString& rel) {
    QFile f(wstest::fixture(QStringLiteral("realworld/%1.expected/expected.json").arg(rel)));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

std::unique_ptr<WeightFile> open(const QString& rel, QString* error) {
    return openWeightFile(wstest::fixture(QStringLiteral("realworld/") + rel), error);
}

// Empty when \a t's values equal the .npy \a npy of fixture \a rel (as float32 when
// \a asFloat: encoded tensors decode to float32), else the first difference.
QString compareValues(const Tensor& t, const QString& rel, const QString& npy, bool asFloat) {
    wstest::Npy want;
    if (!wstest::readNpy(wstest::fixture(QStringLiteral("realworld/%1.expected/%2").arg(rel, npy)),
                         &want))
        return QStringLiteral("cannot read %1").arg(npy);
    if (want.shape != t.shape) return QStringLiteral("%1: shape %2").arg(t.name, t.shapeString());
    std::vector<double> got;
    QString err;
    if (!t.valuesDouble(&got, &err)) return err;
    if (got.size() != want.values.size()) return QStringLiteral("%1: count").arg(t.name);
    for (size_t k = 0; k < got.size(); ++k) {
        const double w = asFloat ? double(float(want.values[k])) : want.values[k];
        if (!(got[k] == w || (std::isnan(got[k]) && std::isnan(w))))
            return QStringLiteral("%1[%2] = %3, expected %4")
                .arg(t.name)
                .arg(k)
                .arg(got[k], 0, 'g', 17)
                .arg(w, 0, 'g', 17);
    }
    return QString();
}

QString quoted(const QString& key) {
    QString s = key;
    s.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    s.replace(QLatin1Char('\''), QLatin1String("\\'"));
    return QLatin1String("['") + s + QLatin1String("']");
}

// The names the naming rule (PyTorchObjects.h) gives the tensors at \a paths, the
// key paths of realworld_util.py: [[key, python type], ...] from the root.
QStringList namesFromKeyPaths(const QJsonArray& tensors) {
    QStringList plain, quotedNames;
    for (const auto& e : tensors) {
        QString p, q;
        for (const auto& step : e.toObject().value(QStringLiteral("key_path")).toArray()) {
            const QJsonArray pair = step.toArray();
            const QString type = pair[1].toString();
            const auto join = [](QString& s, const QString& part) {
                s = s.isEmpty() ? part : s + QLatin1Char('.') + part;
            };
            if (type == QLatin1String("str")) {
                const QString k = pair[0].toString();
                if (k.isEmpty() || k.contains(QLatin1Char('[')) || k.contains(QLatin1Char(']'))) {
                    p += quoted(k);
                    q += quoted(k);
                } else if (k.contains(QLatin1Char('.'))) {
                    join(p, k);
                    q += quoted(k);
                } else {
                    join(p, k);
                    join(q, k);
                }
            } else if (type == QLatin1String("int")) {
                const QString b = QStringLiteral("[%1]").arg(pair[0].toInteger());
                p += b;
                q += b;
            } else if (type == QLatin1String("Tensor")) {
                const QString npy = pair[0].toObject().value(QStringLiteral("npy")).toString();
                const QString b = QStringLiteral("[tensor#%1]").arg(npy.mid(3).chopped(4));
                p += b;
                q += b;
            } else { // list_index, tuple_index
                join(p, QString::number(pair[0].toInteger()));
                join(q, QString::number(pair[0].toInteger()));
            }
        }
        plain << (p.isEmpty() ? QStringLiteral("tensor") : p);
        quotedNames << (q.isEmpty() ? QStringLiteral("tensor") : q);
    }
    QStringList out;
    for (int i = 0; i < plain.size(); ++i)
        out << (plain.count(plain[i]) > 1 ? quotedNames[i] : plain[i]);
    return out;
}

} // namespace

class TestPyTorchRealWorld : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // Legacy (non-zip) checkpoints pickled with protocols 2 to 5 read alike, and their
    // object pickle converts to a data.pkl of protocol-2 opcodes that reads back.
    void legacyProtocols_data() {
        QTest::addColumn<int>("protocol");
        for (int p = 2; p <= 5; ++p)
            QTest::newRow(qPrintable(QStringLiteral("protocol %1").arg(p))) << p;
    }
    void legacyProtocols() {
        QFETCH(int, protocol);
        const QString rel = QStringLiteral("legacy/legacy_protocol%1.pt").arg(protocol);
        const QJsonObject exp = expected(rel);
        QString err;
        auto file = open(rel, &err);
        QVERIFY2(file, qPrintable(err));
        const QJsonArray tensors = exp.value(QStringLiteral("tensors")).toArray();
        QCOMPARE(int(file->tensors.size()), tensors.size());
        for (int i = 0; i < tensors.size(); ++i) {
            const QJsonObject e = tensors[i].toObject();
            const Tensor& t = *file->tensors[size_t(i)];
            QCOMPARE(t.name, e.value(QStringLiteral("name")).toString());
            QCOMPARE(dtypeName(t.dtype), e.value(QStringLiteral("dtype")).toString());
            // (expected.json's is_parameter is written after detach(), always false)
            QCOMPARE(t.isParameter, t.name == QLatin1String("fc.weight"));
            const QString diff =
                compareValues(t, rel, e.value(QStringLiteral("npy")).toString(), false);
            QVERIFY2(diff.isEmpty(), qPrintable(diff));
        }
        QCOMPARE(file->find(QStringLiteral("fc.weight"))->storage,
                 file->find(QStringLiteral("fc.weight_t"))->storage);
        QCOMPARE(file->find(QStringLiteral("fc.weight"))->storage,
                 file->find(QStringLiteral("fc.row"))->storage);

        auto st = std::dynamic_pointer_cast<PyTorchZipState>(file->state);
        QVERIFY(st && st->legacy);
        QByteArray pkl;
        QVERIFY2(legacyPickleToZip(st->dataPkl, &pkl, &err), qPrintable(err));
        // nothing newer than protocol 2 is left (torch's weights_only unpickler reads it in
        // the command-line tests)
        QCOMPARE(int(uchar(pkl[1])), 2);
        PickleDocument doc;
        PickleValue* root = doc.parse(pkl.constData(), pkl.size(), 0, nullptr, &err);
        QVERIFY2(root, qPrintable(err));
        int pids = 0;
        for (const PickleValue& v : doc.values())
            if (v.kind == PickleValue::Kind::PersistentId) {
                ++pids;
                QCOMPARE(int(v.args->items.size()), 5); // the zip format's persistent id
            }
        QCOMPARE(pids, tensors.size());
    }

    // Int keys, dotted keys that collide, a tensor used as a key, a list at the root:
    // every tensor gets the name the naming rule gives, and no two share one.
    void keys_data() {
        QTest::addColumn<QString>("rel");
        for (const char* f :
             {"adam_checkpoint.pt", "dotted_keys.pt", "tensor_key.pt", "tensor_list.pt"})
            QTest::newRow(f) << QStringLiteral("keys/") + QLatin1String(f);
    }
    void keys() {
        QFETCH(QString, rel);
        const QJsonArray tensors = expected(rel).value(QStringLiteral("tensors")).toArray();
        QString err;
        auto file = open(rel, &err);
        QVERIFY2(file, qPrintable(err));
        const QStringList names = namesFromKeyPaths(tensors);
        QCOMPARE(int(file->tensors.size()), names.size());
        QSet<QString> seen;
        for (int i = 0; i < names.size(); ++i) {
            const Tensor& t = *file->tensors[size_t(i)];
            QCOMPARE(t.name, names[i]);
            QVERIFY(!seen.contains(t.name));
            seen.insert(t.name);
            const QString diff = compareValues(
                t, rel, tensors[i].toObject().value(QStringLiteral("npy")).toString(), false);
            QVERIFY2(diff.isEmpty(), qPrintable(diff));
        }
    }

    void keysNamedExactly() {
        QString err;
        auto adam = open(QStringLiteral("keys/adam_checkpoint.pt"), &err);
        QVERIFY2(adam, qPrintable(err));
        QVERIFY(adam->find(QStringLiteral("optimizer.state[3].exp_avg")));
        QVERIFY(adam->find(QStringLiteral("model.0.weight")));
        auto dotted = open(QStringLiteral("keys/dotted_keys.pt"), &err);
        QVERIFY2(dotted, qPrintable(err));
        for (const char* n : {"['a.b'].c", "a['b.c']", "a.b", "['x.y']", "x.y", "[7]", "7"})
            QVERIFY2(dotted->find(QString::fromUtf8(n)), n);
        // int 7 and str "7" are different tensors
        std::vector<double> a, b;
        QVERIFY(dotted->find(QStringLiteral("[7]"))->valuesDouble(&a, &err));
        QVERIFY(dotted->find(QStringLiteral("7"))->valuesDouble(&b, &err));
        QCOMPARE(a, std::vector<double>{7.5});
        QCOMPARE(b, std::vector<double>{-7.5});
    }

    // Quantized tensors show torch's dequantize() values, say their type and
    // quantizer, keep their integers as stored, and cannot be edited.
    void quantized_data() {
        QTest::addColumn<QString>("rel");
        QTest::newRow("zip") << QStringLiteral("quantized/quantized.pt");
        QTest::newRow("legacy") << QStringLiteral("quantized/quantized_legacy.pt");
    }
    void quantized() {
        QFETCH(QString, rel);
        const QJsonArray tensors = expected(rel).value(QStringLiteral("tensors")).toArray();
        QString err;
        auto file = open(rel, &err);
        QVERIFY2(file, qPrintable(err));
        QCOMPARE(int(file->tensors.size()), tensors.size());
        Document doc(std::move(file));
        for (int i = 0; i < tensors.size(); ++i) {
            const QJsonObject e = tensors[i].toObject();
            const Tensor& t = *doc.file().tensors[size_t(i)];
            QCOMPARE(t.name, e.value(QStringLiteral("name")).toString());
            QCOMPARE(t.typeName(), e.value(QStringLiteral("dtype")).toString());
            const QString diff =
                compareValues(t, rel, e.value(QStringLiteral("npy")).toString(), false);
            QVERIFY2(diff.isEmpty(), qPrintable(diff));
            if (!t.encoding) continue;
            QCOMPARE(t.dtype, DType::Float32); // what it decodes to
            const QString what = t.encoding->description();
            if (e.contains(QStringLiteral("axis")))
                QVERIFY2(what.contains(QStringLiteral("per-channel (axis %1)")
                                           .arg(e.value(QStringLiteral("axis")).toInt())),
                         qPrintable(what));
            else
                QVERIFY2(what.contains(QStringLiteral("scale %1, zero point %2")
                                           .arg(e.value(QStringLiteral("scale")).toDouble())
                                           .arg(e.value(QStringLiteral("zero_point")).toInt())),
                         qPrintable(what));
            QVERIFY(!doc.edit(i, Region::whole(t), EditOperation::set(0), &err));
            QVERIFY2(err.contains(QLatin1String("cannot be edited")), qPrintable(err));
        }
    }

    // Sparse COO (duplicates included) and CSR tensors show their dense form.
    void sparse_data() {
        QTest::addColumn<QString>("rel");
        QTest::newRow("zip") << QStringLiteral("sparse/sparse.pt");
        QTest::newRow("legacy") << QStringLiteral("sparse/sparse_legacy.pt");
    }
    void sparse() {
        QFETCH(QString, rel);
        const QJsonArray tensors = expected(rel).value(QStringLiteral("tensors")).toArray();
        QString err;
        auto file = open(rel, &err);
        QVERIFY2(file, qPrintable(err));
        QCOMPARE(int(file->tensors.size()), tensors.size());
        for (int i = 0; i < tensors.size(); ++i) {
            const QJsonObject e = tensors[i].toObject();
            const Tensor& t = *file->tensors[size_t(i)];
            QCOMPARE(t.name, e.value(QStringLiteral("name")).toString());
            const bool isSparse = e.value(QStringLiteral("layout")).toString() != "strided";
            QCOMPARE(bool(t.encoding), isSparse);
            if (isSparse)
                QVERIFY2(t.typeName().startsWith(QLatin1String("sparse")),
                         qPrintable(t.typeName()));
            const QString diff =
                compareValues(t, rel, e.value(QStringLiteral("npy")).toString(), isSparse);
            QVERIFY2(diff.isEmpty(), qPrintable(diff));
            // a slice of the dense form decodes only its part
            if (isSparse && t.rank() == 2) {
                QString why;
                auto row = std::make_shared<Tensor>(t);
                row->shape = {t.shape[1]};
                row->strides = {t.strides[1]};
                row->storageOffset = t.strides[0];
                std::vector<double> all, part;
                QVERIFY(t.valuesDouble(&all, &why));
                QVERIFY2(row->valuesDouble(&part, &why), qPrintable(why));
                QCOMPARE(part, std::vector<double>(all.begin() + t.shape[1],
                                                   all.begin() + 2 * t.shape[1]));
            }
        }
    }

    // complex64 (with a transposed view of its storage) and complex128.
    void complexTensors_data() {
        QTest::addColumn<QString>("rel");
        QTest::newRow("zip") << QStringLiteral("complex/complex.pt");
        QTest::newRow("legacy") << QStringLiteral("complex/complex_legacy.pt");
    }
    void complexTensors() {
        QFETCH(QString, rel);
        const QJsonArray tensors = expected(rel).value(QStringLiteral("tensors")).toArray();
        QString err;
        auto file = open(rel, &err);
        QVERIFY2(file, qPrintable(err));
        QCOMPARE(int(file->tensors.size()), tensors.size());
        for (int i = 0; i < tensors.size(); ++i) {
            const QJsonObject e = tensors[i].toObject();
            const Tensor& t = *file->tensors[size_t(i)];
            QCOMPARE(t.name, e.value(QStringLiteral("name")).toString());
            QCOMPARE(dtypeName(t.dtype), e.value(QStringLiteral("dtype")).toString());
            const QString npy = e.contains(QStringLiteral("real_npy"))
                                    ? e.value(QStringLiteral("real_npy")).toString()
                                    : e.value(QStringLiteral("npy")).toString();
            const QString diff =
                compareValues(t, rel, npy, t.dtype == DType::Complex64); // shown by real part
            QVERIFY2(diff.isEmpty(), qPrintable(diff));
        }
        QCOMPARE(file->find(QStringLiteral("c64"))->storage,
                 file->find(QStringLiteral("c64_t"))->storage);
        QCOMPARE(dtypeSize(DType::Complex128), 16);
    }

    // TorchScript: parameters and buffers under state_dict() names, told apart by the
    // code records, with their values.
    void torchScript_data() {
        QTest::addColumn<QString>("rel");
        QTest::newRow("scripted") << QStringLiteral("torchscript/scripted.pt");
        QTest::newRow("traced") << QStringLiteral("torchscript/traced.pt");
    }
    void torchScript() {
        QFETCH(QString, rel);
        const QJsonArray tensors = expected(rel).value(QStringLiteral("tensors")).toArray();
        QString err;
        auto file = open(rel, &err);
        QVERIFY2(file, qPrintable(err));
        QCOMPARE(file->formatName, QStringLiteral("TorchScript archive"));
        QCOMPARE(int(file->tensors.size()), tensors.size());
        for (int i = 0; i < tensors.size(); ++i) {
            const QJsonObject e = tensors[i].toObject();
            const Tensor& t = *file->tensors[size_t(i)];
            QCOMPARE(t.name, e.value(QStringLiteral("name")).toString());
            QCOMPARE(t.isParameter, e.value(QStringLiteral("kind")).toString() == "parameter");
            const QString diff =
                compareValues(t, rel, e.value(QStringLiteral("npy")).toString(), false);
            QVERIFY2(diff.isEmpty(), qPrintable(diff));
        }
        QStringList classes;
        for (const ModuleInfo& m : file->modules)
            classes << m.className;
        QCOMPARE(classes, (QStringList{"Net", "Conv2d", "BatchNorm2d", "Head", "Linear"}));
    }

    // pytorch_model.bin.index.json opens as one model through the registry; the
    // safetensors reader does not claim it (nor the PyTorch reader a safetensors index).
    void shardedBin_data() {
        QTest::addColumn<QString>("folder");
        QTest::newRow("zip") << QStringLiteral("sharded_bin/zip");
        QTest::newRow("mixed_legacy") << QStringLiteral("sharded_bin/mixed_legacy");
    }
    void shardedBin() {
        QFETCH(QString, folder);
        const QString rel = folder + QStringLiteral("/pytorch_model.bin.index.json");
        const QString path = wstest::fixture(QStringLiteral("realworld/") + rel);
        QFile index(path);
        QVERIFY(index.open(QIODevice::ReadOnly));
        const QByteArray head = index.read(4096);
        QCOMPARE(PyTorchFormat().probe(head, path), 3);
        QCOMPARE(SafetensorsFormat().probe(head, path), 0);
        QCOMPARE(SafetensorsFormat().probe(head, QStringLiteral("x/model.safetensors.index.json")),
                 0);
        QCOMPARE(PyTorchFormat().probe("{\"weight_map\": {\"a\": \"m-1.safetensors\"}}",
                                       QStringLiteral("m.safetensors.index.json")),
                 0);
        const QJsonObject exp = expected(rel);
        const QJsonArray tensors = exp.value(QStringLiteral("tensors")).toArray();
        QString err;
        auto file = openWeightFile(path, &err);
        QVERIFY2(file, qPrintable(err));
        QCOMPARE(file->formatId, QStringLiteral("pytorch"));
        QCOMPARE(int(file->tensors.size()), tensors.size());
        for (int i = 0; i < tensors.size(); ++i) {
            const QJsonObject e = tensors[i].toObject();
            const Tensor& t = *file->tensors[size_t(i)];
            QCOMPARE(t.name, e.value(QStringLiteral("name")).toString());
            QVERIFY(t.storage->filePath().endsWith(e.value(QStringLiteral("shard")).toString()));
            const QString diff =
                compareValues(t, rel, e.value(QStringLiteral("npy")).toString(), false);
            QVERIFY2(diff.isEmpty(), qPrintable(diff));
        }
        QCOMPARE(file->find(QStringLiteral("lm_head.weight"))->storage,
                 file->find(QStringLiteral("model.embed_tokens.weight"))->storage);
        QCOMPARE(file->metadata.value(QStringLiteral("total_size")),
                 QString::number(exp.value(QStringLiteral("total_size")).toInteger()));
    }

    // One damaged record or view damages only its tensor: the rest opens with its
    // values, the damaged one is listed with the reason and cannot be read or edited.
    void damaged_data() {
        QTest::addColumn<QString>("rel");
        QTest::addColumn<QString>("reason");
        QTest::newRow("truncated")
            << QStringLiteral("damaged/truncated_record.pt") << QStringLiteral("truncated");
        QTest::newRow("crc") << QStringLiteral("damaged/bad_crc.pt") << QStringLiteral("CRC-32");
        QTest::newRow("out of range")
            << QStringLiteral("damaged/out_of_range.pt") << QStringLiteral("out of range");
        QTest::newRow("view") << QStringLiteral("damaged/view_out_of_range.pt")
                              << QStringLiteral("past the storage");
    }
    void damaged() {
        QFETCH(QString, rel);
        QFETCH(QString, reason);
        const QJsonObject exp = expected(rel);
        QString err;
        auto file = open(rel, &err);
        QVERIFY2(file, qPrintable(err));
        QCOMPARE(int(file->tensors.size()), 3);
        for (const auto& e : exp.value(QStringLiteral("tensors")).toArray()) {
            const QJsonObject o = e.toObject();
            auto t = file->find(o.value(QStringLiteral("name")).toString());
            QVERIFY(t);
            QVERIFY2(t->problem.isEmpty(), qPrintable(t->problem));
            const QString diff =
                compareValues(*t, rel, o.value(QStringLiteral("npy")).toString(), false);
            QVERIFY2(diff.isEmpty(), qPrintable(diff));
        }
        const QJsonObject bad = exp.value(QStringLiteral("damaged")).toArray()[0].toObject();
        auto t = file->find(bad.value(QStringLiteral("name")).toString());
        QVERIFY(t);
        QVERIFY2(t->problem.contains(reason), qPrintable(t->problem));
        std::vector<double> v;
        QVERIFY(!t->valuesDouble(&v, &err));
        QCOMPARE(err, t->problem);
        Document doc(std::move(file));
        QVERIFY(
            !doc.edit(doc.file().indexOf(t->name), Region::whole(*t), EditOperation::set(0), &err));
        QVERIFY2(err.contains(reason), qPrintable(err));
    }

    // A pickle made big by a list of 6 million step counts (37 MB) opens: the limit on
    // values grows with the pickle, and the list's scalars past the first few thousand
    // are not kept.
    void bigPickle() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("big.pt"));
        QString out;
        QCOMPARE(wstest::runPython(
                     {wstest::env("WS_SCRIPTS") + QStringLiteral("/make_big_pickle.py"), path},
                     &out, 300000),
                 0);
        QString err;
        auto file = PyTorchFormat().read(path, &err);
        QVERIFY2(file, qPrintable(err));
        QFile f(path + QStringLiteral(".expected/expected.json"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject exp = QJsonDocument::fromJson(f.readAll()).object();
        const QJsonArray tensors = exp.value(QStringLiteral("tensors")).toArray();
        QCOMPARE(int(file->tensors.size()), tensors.size());
        for (int i = 0; i < tensors.size(); ++i)
            QCOMPARE(file->tensors[size_t(i)]->name,
                     tensors[i].toObject().value(QStringLiteral("name")).toString());

        // The list itself: its length is exact, its first values are kept.
        auto st = std::dynamic_pointer_cast<PyTorchZipState>(file->state);
        PickleDocument doc;
        const PickleValue* root =
            doc.parse(st->dataPkl.constData(), st->dataPkl.size(), 0, nullptr, &err);
        QVERIFY2(root, qPrintable(err));
        const PickleValue* steps = root->get("steps");
        const QJsonObject list = exp.value(QStringLiteral("lists")).toArray()[0].toObject();
        QCOMPARE(qint64(steps->items.size()), list.value(QStringLiteral("length")).toInteger());
        const QJsonArray first = list.value(QStringLiteral("first")).toArray();
        for (int i = 0; i < first.size(); ++i)
            QCOMPARE(steps->items[size_t(i)]->intValue, first[i].toInteger());
        QVERIFY(steps->items.back()->elided);
        QVERIFY(doc.values().size() < PickleDocument::kMaxValues);
    }
};

QTEST_GUILESS_MAIN(TestPyTorchRealWorld)
#include "tst_pytorchrealworld.moc"
