// Reads every PyTorch fixture and compares names, shapes, dtypes, values,
// Parameter flags, shared storages and module classes with what torch itself
// loaded (tests/fixtures/make_pytorch_fixtures.py wrote the expectations).
#include "PyTorchFormat.h"
#include "PyTorchZipState.h"
#include "TestUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace ws;

class TestPyTorchReader : public QObject {
    Q_OBJECT

private:
    static std::unique_ptr<WeightFile> open(const QString& name, QString* error = nullptr) {
        QString err;
        auto f = PyTorchFormat().read(wstest::fixture(QStringLiteral("pytorch/") + name), &err);
        if (error) *error = err;
        if (!f) qWarning("%s", qPrintable(err));
        return f;
    }
    static QJsonObject expected(const QString& name) {
        QFile f(wstest::fixture(QStringLiteral("pytorch/%1.expected/expected.json").arg(name)));
        if (!f.open(QIODevice::ReadOnly)) return {};
        return QJsonDocument::fromJson(f.readAll()).object();
    }

private Q_SLOTS:
    void fixtures_data() {
        QTest::addColumn<QString>("name");
        for (const char* n :
             {"mlp_state_dict.pt", "whole_module.pt", "checkpoint.tar", "views_shared.pt",
              "dtypes.pt", "scalar.pt", "legacy.pt", "legacy_protocol4.pt", "my.model.v2.pth",
              "stream.pt", "parameter.pt", "protocol4.pt", "v3_untyped.pt", "deflated.pt"})
            QTest::newRow(n) << QString::fromLatin1(n);
    }

    void fixtures() {
        QFETCH(QString, name);
        const QJsonObject exp = expected(name);
        QVERIFY2(!exp.isEmpty(), "expected.json missing: run make_pytorch_fixtures.py");
        auto file = open(name);
        QVERIFY(file);
        // lazy: nothing loaded by opening
        for (const auto& t : file->tensors)
            QVERIFY(!t->storage->isLoaded());

        const QJsonArray tensors = exp.value(QStringLiteral("tensors")).toArray();
        QCOMPARE(int(file->tensors.size()), tensors.size());
        for (int i = 0; i < tensors.size(); ++i) {
            const QJsonObject e = tensors[i].toObject();
            const Tensor& t = *file->tensors[size_t(i)];
            QCOMPARE(t.name, e.value(QStringLiteral("name")).toString());
            std::vector<int64_t> shape;
            for (const auto& d : e.value(QStringLiteral("shape")).toArray())
                shape.push_back(d.toInteger());
            QCOMPARE(t.shape, shape);
            QCOMPARE(dtypeName(t.dtype), e.value(QStringLiteral("dtype")).toString());
            QCOMPARE(t.isParameter, e.value(QStringLiteral("is_parameter")).toBool());
            wstest::Npy npy;
            QVERIFY(wstest::readNpy(
                wstest::fixture(QStringLiteral("pytorch/%1.expected/%2")
                                    .arg(name, e.value(QStringLiteral("npy")).toString())),
                &npy));
            QCOMPARE(npy.shape, shape);
            std::vector<double> values;
            QString err;
            QVERIFY2(t.valuesDouble(&values, &err), qPrintable(err));
            QCOMPARE(values.size(), npy.values.size());
            for (size_t k = 0; k < values.size(); ++k)
                if (values[k] != npy.values[k])
                    QFAIL(qPrintable(QStringLiteral("%1[%2]: %3 != %4")
                                         .arg(t.name)
                                         .arg(k)
                                         .arg(values[k])
                                         .arg(npy.values[k])));
        }

        // shared storages: same group <=> same Storage object
        const QJsonArray shared = exp.value(QStringLiteral("shared")).toArray();
        QHash<QString, int> groupOf;
        for (int g = 0; g < shared.size(); ++g)
            for (const auto& n : shared[g].toArray())
                groupOf[n.toString()] = g;
        for (const auto& a : file->tensors)
            for (const auto& b : file->tensors) {
                if (a == b) continue;
                const bool same = groupOf.contains(a->name) && groupOf.contains(b->name) &&
                                  groupOf[a->name] == groupOf[b->name];
                QCOMPARE(a->storage == b->storage, same);
            }
        for (const auto& g : shared) {
            const QJsonArray names = g.toArray();
            auto t = file->find(names[0].toString());
            QVERIFY(t);
            QCOMPARE(file->linkedTo(*t).size(), names.size() - 1);
        }

        const QJsonArray modules = exp.value(QStringLiteral("modules")).toArray();
        QCOMPARE(int(file->modules.size()), modules.size());
        for (int i = 0; i < modules.size(); ++i) {
            const QJsonObject m = modules[i].toObject();
            QCOMPARE(file->modules[size_t(i)].path, m.value(QStringLiteral("path")).toString());
            QCOMPARE(file->modules[size_t(i)].className,
                     m.value(QStringLiteral("class")).toString());
            QCOMPARE(file->modules[size_t(i)].qualifiedName,
                     m.value(QStringLiteral("qualified")).toString());
        }
        QVERIFY(std::dynamic_pointer_cast<PyTorchZipState>(file->state));
    }

    void wholeModuleNames() {
        auto file = open(QStringLiteral("whole_module.pt"));
        QVERIFY(file);
        QVERIFY(file->find(QStringLiteral("5.encoder.layers.0.linear1.weight")));
        QVERIFY(file->find(QStringLiteral("4.running_mean")));
        QStringList classes;
        for (const auto& m : file->modules)
            classes << m.className;
        QVERIFY(classes.contains(QStringLiteral("ReLU")));
        QVERIFY(classes.contains(QStringLiteral("Dropout")));
        QVERIFY(classes.contains(QStringLiteral("Block")));
        QCOMPARE(file->modules.front().path, QString());
        QCOMPARE(file->modules.front().className, QStringLiteral("Sequential"));
    }

    void checkpointNames() {
        auto file = open(QStringLiteral("checkpoint.tar"));
        QVERIFY(file);
        QVERIFY(file->find(QStringLiteral("model_state_dict.0.weight")));
        QVERIFY(file->find(QStringLiteral("optimizer_state_dict.state[0].exp_avg")));
        QVERIFY(file->find(QStringLiteral("optimizer_state_dict.state[0].step")));
        QVERIFY(file->find(QStringLiteral("history.1")));
    }

    void views() {
        auto file = open(QStringLiteral("views_shared.pt"));
        QVERIFY(file);
        auto t = file->find(QStringLiteral("transposed"));
        QVERIFY(t);
        QCOMPARE(t->strides, (std::vector<int64_t>{1, 4}));
        auto s = file->find(QStringLiteral("slice"));
        QCOMPARE(s->storageOffset, int64_t(5));
        QCOMPARE(s->strides, (std::vector<int64_t>{4, 1}));
        QCOMPARE(file->find(QStringLiteral("tied_a"))->storage,
                 file->find(QStringLiteral("tied_b"))->storage);
    }

    void scalarIsNamedTensor() {
        auto file = open(QStringLiteral("scalar.pt"));
        QVERIFY(file);
        QCOMPARE(int(file->tensors.size()), 1);
        QCOMPARE(file->tensors[0]->name, QStringLiteral("tensor"));
        QVERIFY(file->tensors[0]->shape.empty());
    }

    void layoutState() {
        auto named = open(QStringLiteral("my.model.v2.pth"));
        QVERIFY(named);
        auto st = std::dynamic_pointer_cast<PyTorchZipState>(named->state);
        QCOMPARE(st->topFolder, QStringLiteral("my.model.v2"));
        QVERIFY(!st->legacy);
        QVERIFY(!st->dataPkl.isEmpty());
        int storages = 0;
        for (const auto& r : st->records) {
            if (r.storageKey.isEmpty()) continue;
            ++storages;
            QCOMPARE(r.name, QStringLiteral("my.model.v2/data/") + r.storageKey);
            QCOMPARE(r.dataOffset % 64, qint64(0)); // PyTorch aligns the data
        }
        QCOMPARE(storages, 4);
        QCOMPARE(named->tensors[0]->storage->key(), QStringLiteral("data/0"));

        auto stream = open(QStringLiteral("stream.pt"));
        QVERIFY(stream);
        QCOMPARE(std::dynamic_pointer_cast<PyTorchZipState>(stream->state)->topFolder,
                 QStringLiteral("archive"));
        auto legacy = open(QStringLiteral("legacy.pt"));
        QVERIFY(legacy);
        auto ls = std::dynamic_pointer_cast<PyTorchZipState>(legacy->state);
        QVERIFY(ls->legacy);
        // the object pickle alone: protocol 2, ends with STOP
        QVERIFY(ls->dataPkl.startsWith("\x80\x02"));
        QVERIFY(ls->dataPkl.endsWith('.'));
        QVERIFY(!ls->dataPkl.contains("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"));
        QVERIFY(!ls->records.empty());
    }

    void probe() {
        PyTorchFormat f;
        QFile z(wstest::fixture(QStringLiteral("pytorch/mlp_state_dict.pt")));
        QVERIFY(z.open(QIODevice::ReadOnly));
        QCOMPARE(f.probe(z.read(4096), z.fileName()), 2);
        QFile l(wstest::fixture(QStringLiteral("pytorch/legacy.pt")));
        QVERIFY(l.open(QIODevice::ReadOnly));
        QCOMPARE(f.probe(l.read(4096), QStringLiteral("x.bin")), 2);
        QCOMPARE(f.probe(QByteArray("hello"), QStringLiteral("x.txt")), 0);
    }

    // A big checkpoint opens without reading its tensors: only data.pkl is read. (How
    // long that takes is reported by bench/run_benchmark.py, weightscope_bench --open.)
    void openReadsNoTensor() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("big.pt"));
        QString out;
        const QString script = QStringLiteral("import torch,collections\n"
                                              "sd=collections.OrderedDict((f'l{i}.weight', "
                                              "torch.zeros(1024,1024)) for i in range(120))\n"
                                              "torch.save(sd, r'%1')\n")
                                   .arg(path);
        QVERIFY2(wstest::runPython({QStringLiteral("-c"), script}, &out) == 0, qPrintable(out));
        QString err;
        auto file = PyTorchFormat().read(path, &err);
        QVERIFY2(file, qPrintable(err));
        QCOMPARE(int(file->tensors.size()), 120);
        QCOMPARE(file->tensors[119]->name, QStringLiteral("l119.weight"));
        QCOMPARE(file->tensors[119]->shape, (std::vector<int64_t>{1024, 1024}));
        for (const auto& t : file->tensors)
            QVERIFY(!t->storage->isLoaded());
    }
};

QTEST_GUILESS_MAIN(TestPyTorchReader)
#include "tst_pytorchreader.moc"
