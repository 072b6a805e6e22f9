// The command line's PyTorch-style edit expressions.
#include "Document.h"
#include "EditExpression.h"
#include "EditScript.h"
#include "TestUtil.h"

#include <cmath>

using namespace ws;

class TestEditExpression : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void operatorsAndNames_data();
    void operatorsAndNames();
    void indexing();
    void errors_data();
    void errors();
    void numbers();
    void bracketNames();
};

void TestEditExpression::operatorsAndNames_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("kind");
    QTest::addColumn<double>("value");
    QTest::addColumn<int>("indices");
    using K = EditOperation::Kind;
    QTest::newRow("fill") << "0.weight[0:5, :] = 0.1"
                          << "0.weight" << int(K::Set) << 0.1 << 2;
    QTest::newRow("add") << "2.bias += 0.5"
                         << "2.bias" << int(K::Add) << 0.5 << -1;
    QTest::newRow("mul") << "fc.weight *= 0.9"
                         << "fc.weight" << int(K::Multiply) << 0.9 << -1;
    QTest::newRow("cell") << "fc.weight[3, 4] = -1.25"
                          << "fc.weight" << int(K::Set) << -1.25 << 2;
    QTest::newRow("whole") << "emb.weight = 0"
                           << "emb.weight" << int(K::Set) << 0.0 << -1;
    QTest::newRow("sub") << "fc.weight[:, 0] -= 1"
                         << "fc.weight" << int(K::Subtract) << 1.0 << 2;
    QTest::newRow("div") << "x/=4"
                         << "x" << int(K::Divide) << 4.0 << -1;
    QTest::newRow("keras name") << "model_weights/dense/dense/kernel:0[0] = 2"
                                << "model_weights/dense/dense/kernel:0" << int(K::Set) << 2.0 << 1;
    QTest::newRow("neg value") << "a.b -= -3e-2"
                               << "a.b" << int(K::Subtract) << -0.03 << -1;
}

void TestEditExpression::operatorsAndNames() {
    QFETCH(QString, text);
    QFETCH(QString, name);
    QFETCH(int, kind);
    QFETCH(double, value);
    QFETCH(int, indices);
    EditExpression e;
    QString err;
    QVERIFY2(parseEditExpression(text, &e, &err), qPrintable(err));
    QCOMPARE(e.tensorName, name);
    QCOMPARE(int(e.op.kind), kind);
    QCOMPARE(double(e.op.a), value);
    QCOMPARE(e.indexed, indices >= 0);
    if (indices >= 0) QCOMPARE(int(e.index.size()), indices);
}

void TestEditExpression::indexing() {
    Tensor t;
    t.name = QStringLiteral("w");
    t.setContiguousShape({20, 10});
    auto region = [&](const QString& idx) {
        std::vector<IndexItem> items;
        QString err;
        Region r;
        if (!parseIndexList(idx, &items, &err) || !resolveIndex(items, t, &r, &err)) return Box{};
        return r.boxes().at(0);
    };
    // Python semantics: w[0:5, :], w[-1], w[:, -3:], w[5:], w[:2], w[3, 4], w[15:100]
    QCOMPARE(region("0:5, :"), (Box{{0, 0}, {5, 10}}));
    QCOMPARE(region("-1"), (Box{{19, 0}, {1, 10}}));
    QCOMPARE(region(":, -3:"), (Box{{0, 7}, {20, 3}}));
    QCOMPARE(region("5:"), (Box{{5, 0}, {15, 10}}));
    QCOMPARE(region(":2"), (Box{{0, 0}, {2, 10}}));
    QCOMPARE(region("3, 4"), (Box{{3, 4}, {1, 1}}));
    QCOMPARE(region("15:100"), (Box{{15, 0}, {5, 10}}));
    QCOMPARE(region("-5:-2, 1:-1"), (Box{{15, 1}, {3, 8}}));
    QCOMPARE(region("7:3"), (Box{{7, 0}, {0, 10}}));
}

void TestEditExpression::errors_data() {
    QTest::addColumn<QString>("text");
    QTest::newRow("no op") << "fc.weight 0.1";
    QTest::newRow("not a number") << "fc.weight = abc";
    QTest::newRow("no name") << "[0] = 1";
    QTest::newRow("bad index") << "fc.weight[a] = 1";
    QTest::newRow("step") << "fc.weight[0:4:2] = 1";
    QTest::newRow("empty item") << "fc.weight[0,] = 1";
    QTest::newRow("unbalanced") << "fc.weight] = 1";
}

void TestEditExpression::errors() {
    QFETCH(QString, text);
    EditExpression e;
    QString err;
    QVERIFY(!parseEditExpression(text, &e, &err));
    QVERIFY(err.contains(QStringLiteral("malformed expression")));
}

void TestEditExpression::numbers() {
    double v = 0;
    QVERIFY(parseNumber(QStringLiteral(" -1.5e3 "), &v));
    QCOMPARE(v, -1500.0);
    QVERIFY(parseNumber(QStringLiteral("nan"), &v));
    QVERIFY(std::isnan(v));
    QVERIFY(parseNumber(QStringLiteral("-inf"), &v));
    QVERIFY(std::isinf(v) && v < 0);
    QVERIFY(parseNumber(QStringLiteral("True"), &v));
    QCOMPARE(v, 1.0);
    QVERIFY(!parseNumber(QStringLiteral("1,5"), &v)); // never the locale's comma
    QVERIFY(!parseNumber(QStringLiteral(""), &v));
    Tensor t;
    t.name = QStringLiteral("w");
    t.setContiguousShape({4, 4});
    std::vector<IndexItem> items;
    QString err;
    Region r;
    QVERIFY(parseIndexList(QStringLiteral("4"), &items, &err));
    QVERIFY(!resolveIndex(items, t, &r, &err));
    QVERIFY(err.contains(QStringLiteral("out of range")));
    QVERIFY(parseIndexList(QStringLiteral("0, 0, 0"), &items, &err));
    QVERIFY(!resolveIndex(items, t, &r, &err));
    QVERIFY(err.contains(QStringLiteral("too many")));
}

// Tensor names that end in brackets: the exact name wins over an index.
void TestEditExpression::bracketNames() {
    auto file = std::make_unique<WeightFile>();
    for (const char* n : {"optimizer.state[3].exp_avg", "[7]", "['a.b'].c", "x[1]", "x"}) {
        auto t = std::make_shared<Tensor>();
        t->name = QString::fromUtf8(n);
        t->setContiguousShape({4});
        t->storage = Storage::fromBytes(QByteArray(16, 0), t->name);
        file->tensors.push_back(t);
    }
    Document doc(std::move(file));
    struct Case {
        const char* text;
        const char* tensor;
        int64_t count;
    } cases[] = {{"optimizer.state[3].exp_avg[0:2] = 0", "optimizer.state[3].exp_avg", 2},
                 {"optimizer.state[3].exp_avg = 1", "optimizer.state[3].exp_avg", 4},
                 {"[7] += 1", "[7]", 4},
                 {"[7][3] = 2", "[7]", 1},
                 {"['a.b'].c[1:] *= 2", "['a.b'].c", 3},
                 {"x[1] = 5", "x[1]", 4}, // the tensor named x[1], not x's element 1
                 {"x[2] = 5", "x", 1}};
    for (const Case& c : cases) {
        ResolvedEdit r;
        QString err;
        QVERIFY2(resolveEditExpression(doc, QString::fromUtf8(c.text), &r, &err),
                 qPrintable(QString::fromUtf8(c.text) + QLatin1String(": ") + err));
        QCOMPARE(r.tensor->name, QString::fromUtf8(c.tensor));
        QCOMPARE(r.region.numel(), c.count);
        QVERIFY(applyEditExpression(doc, QString::fromUtf8(c.text), &err));
    }
    ResolvedEdit r;
    QString err;
    EditStage stage = EditStage::Index;
    QVERIFY(!resolveEditExpression(doc, QStringLiteral("optimizer.state[4].exp_avg = 1"), &r, &err,
                                   &stage));
    QVERIFY(!resolveEditExpression(doc, QStringLiteral("y[a] = 1"), &r, &err, &stage));
    QCOMPARE(stage, EditStage::Parse); // a malformed index of an unknown name is still reported
}

QTEST_APPLESS_MAIN(TestEditExpression)
#include "tst_editexpression.moc"
