// Indexing tensors by name ("6.weight[:, :, 1, 2]") against PyTorch's own indexing of
// the same conv weight (tests/fixtures/make_analysis_fixtures.py), and the error cases.
#include "FormatRegistry.h"
#include "TensorSlice.h"
#include "TestUtil.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace ws;

class TestTensorSlice : public QObject {
    Q_OBJECT

    std::unique_ptr<WeightFile> m_file;

private slots:
    void initTestCase() {
        QString error;
        m_file = openWeightFile(wstest::fixture(QStringLiteral("pytorch/whole_module.pt")), &error);
        QVERIFY2(m_file, qPrintable(error));
    }

    void matchesTorchIndexing() {
        QFile f(wstest::fixture(QStringLiteral("analysis/expected.json")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject slices =
            QJsonDocument::fromJson(f.readAll()).object()["slices"].toObject();
        QVERIFY(slices.size() >= 5);
        const TensorPtr whole = m_file->find(QStringLiteral("6.weight"));
        QVERIFY(whole);
        for (const QString& expr : slices.keys()) {
            QString error;
            const TensorPtr v = findTensorOrSlice(*m_file, expr, &error);
            QVERIFY2(v, qPrintable(expr + QStringLiteral(": ") + error));
            QCOMPARE(v->name, expr);
            QVERIFY(v->storage == whole->storage); // a view, not a copy
            wstest::Npy want;
            QVERIFY(wstest::readNpy(wstest::fixture(QStringLiteral("analysis/") +
                                                    slices[expr].toObject()["file"].toString()),
                                    &want));
            QCOMPARE(v->shape, want.shape);
            QVERIFY2(v->validate().isEmpty(), qPrintable(v->validate()));
            std::vector<double> got;
            QVERIFY2(v->valuesDouble(&got, &error), qPrintable(error));
            QCOMPARE(got.size(), want.values.size());
            for (size_t i = 0; i < got.size(); ++i)
                QCOMPARE(float(got[i]), float(want.values[i]));
        }
    }

    void plainNamesAndErrors() {
        QString error;
        const TensorPtr t = findTensorOrSlice(*m_file, QStringLiteral("6.weight"), &error);
        QVERIFY(t);
        QCOMPARE(t, m_file->find(QStringLiteral("6.weight")));
        QVERIFY(!findTensorOrSlice(*m_file, QStringLiteral("nope[0]"), &error));
        QVERIFY(error.contains(QStringLiteral("no tensor named 'nope'")));
        QVERIFY(!findTensorOrSlice(*m_file, QStringLiteral("6.weight[2]"), &error));
        QVERIFY(error.contains(QStringLiteral("out of range")));
        QVERIFY(!findTensorOrSlice(*m_file, QStringLiteral("6.weight[0, 0, 0, 0, 0]"), &error));
        QVERIFY(error.contains(QStringLiteral("too many indices")));
        QVERIFY(!findTensorOrSlice(*m_file, QStringLiteral("6.weight[a]"), &error));
        QVERIFY(error.contains(QStringLiteral("malformed")));
        const TensorPtr empty = findTensorOrSlice(*m_file, QStringLiteral("6.weight[5:]"), &error);
        QVERIFY(empty);
        QCOMPARE(empty->shape, (std::vector<int64_t>{0, 1, 3, 3}));
        const TensorPtr scalar =
            findTensorOrSlice(*m_file, QStringLiteral("6.weight[1, 0, 2, -1]"), &error);
        QVERIFY(scalar);
        QVERIFY(scalar->shape.empty());
        QCOMPARE(scalar->numel(), int64_t(1));
    }

    void namesWithColonsAndSlashes() {
        QString name, error;
        std::vector<IndexItem> index;
        bool indexed = false;
        QVERIFY(splitIndexedName(QStringLiteral("model/dense:0/kernel[1:, -1]"), &name, &index,
                                 &indexed, &error));
        QVERIFY(indexed);
        QCOMPARE(name, QStringLiteral("model/dense:0/kernel"));
        QCOMPARE(index.size(), size_t(2));
        QVERIFY(index[0].isSlice && index[0].hasStart && !index[0].hasStop);
        QVERIFY(!index[1].isSlice);
        QCOMPARE(index[1].start, int64_t(-1));
        QVERIFY(splitIndexedName(QStringLiteral("a:b"), &name, &index, &indexed, &error));
        QVERIFY(!indexed);
        QCOMPARE(name, QStringLiteral("a:b"));
    }

    // Names with bracketed keys (PyTorch's naming rule): the exact name wins, a
    // trailing index after it is an index.
    void namesWithBrackets() {
        WeightFile f;
        for (const char* n : {"optimizer.state[3].exp_avg", "[7]", "['a.b'].c", "x[3]", "x"}) {
            auto t = std::make_shared<Tensor>();
            t->name = QString::fromUtf8(n);
            t->setContiguousShape({4});
            t->storage = Storage::fromBytes(QByteArray(16, 0), t->name);
            f.tensors.push_back(t);
        }
        QString error;
        auto t = findTensorOrSlice(f, QStringLiteral("optimizer.state[3].exp_avg[1:3]"), &error);
        QVERIFY2(t, qPrintable(error));
        QCOMPARE(t->shape, std::vector<int64_t>{2});
        QCOMPARE(t->storageOffset, int64_t(1));
        t = findTensorOrSlice(f, QStringLiteral("[7]"), &error);
        QVERIFY(t && t->shape == std::vector<int64_t>{4}); // the tensor, not [7] of nothing
        t = findTensorOrSlice(f, QStringLiteral("[7][2]"), &error);
        QVERIFY(t && t->shape.empty() && t->storageOffset == 2);
        t = findTensorOrSlice(f, QStringLiteral("x[3]"), &error);
        QVERIFY(t && t->name == QLatin1String("x[3]") && t->shape == std::vector<int64_t>{4});
        t = findTensorOrSlice(f, QStringLiteral("['a.b'].c[-1]"), &error);
        QVERIFY(t && t->storageOffset == 3);
        QVERIFY(!findTensorOrSlice(f, QStringLiteral("optimizer.state[4].exp_avg"), &error));
    }
};

QTEST_GUILESS_MAIN(TestTensorSlice)
#include "tst_tensorslice.moc"
