// `weightscope stats`, run as a process (WS_BINARY): --json against NumPy's values
// (tests/fixtures/make_analysis_fixtures.py), indexed tensors, text output, exit codes.
#include "TestUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <cmath>

namespace {

using Result = wstest::RunResult;

Result run(const QStringList& args) {
    return wstest::runWeightscope(args);
}

bool near(double got, double want, double rel) {
    return std::abs(got - want) <= rel * std::max(1.0, std::abs(want));
}

void compareArrays(const QJsonArray& got, const QJsonArray& want, double rel) {
    QCOMPARE(got.size(), want.size());
    for (int i = 0; i < got.size(); ++i)
        QVERIFY2(near(got[i].toDouble(), want[i].toDouble(), rel),
                 qPrintable(QStringLiteral("element %1: %2 vs %3")
                                .arg(i)
                                .arg(got[i].toDouble(), 0, 'g', 17)
                                .arg(want[i].toDouble(), 0, 'g', 17)));
}

} // namespace

class TstStatsCommand : public QObject {
    Q_OBJECT

    QJsonObject m_expected;

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFile::exists(wstest::env("WS_BINARY")), "WS_BINARY not built");
        QFile f(wstest::fixture(QStringLiteral("analysis/expected.json")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        m_expected = QJsonDocument::fromJson(f.readAll()).object();
        QVERIFY(!m_expected.isEmpty());
    }

    void jsonMatchesNumpy_data() {
        QTest::addColumn<int>("which");
        QTest::newRow("10 bins") << 0;
        QTest::newRow("64 bins") << 2;
    }

    void jsonMatchesNumpy() {
        QFETCH(int, which);
        const QJsonObject e = m_expected["matrix"].toObject();
        const QJsonObject h = e["histograms"].toArray()[which].toObject();
        const Result r =
            run({QStringLiteral("stats"), wstest::fixture(QStringLiteral("analysis/matrix.npy")),
                 QStringLiteral("matrix"), QStringLiteral("--json"), QStringLiteral("--bins"),
                 QString::number(h["bins"].toInt())});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QJsonParseError pe;
        const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8(), &pe).object();
        QVERIFY2(pe.error == QJsonParseError::NoError, qPrintable(pe.errorString()));
        QCOMPARE(o["shape"].toArray(), e["shape"].toArray());
        QCOMPARE(o["dtype"].toString(), QStringLiteral("float32"));
        QCOMPARE(o["count"].toInt(), 240);
        for (const char* key : {"min", "max", "mean", "std", "l2", "zero_fraction", "frobenius",
                                "spectral", "stable_rank", "effective_rank"})
            QVERIFY2(near(o[QLatin1String(key)].toDouble(), e[QLatin1String(key)].toDouble(), 1e-6),
                     key);
        const QJsonObject hist = o["histogram"].toObject();
        compareArrays(hist["edges"].toArray(), h["edges"].toArray(), 1e-12);
        QCOMPARE(hist["counts"].toArray(), h["counts"].toArray());
        const QJsonArray sv = o["singular_values"].toArray();
        compareArrays(sv, e["singular_values"].toArray(), 1e-5);
        for (int i = 1; i < sv.size(); ++i)
            QVERIFY(sv[i].toDouble() <= sv[i - 1].toDouble());
        QCOMPARE(o["singular_values_truncated"].toBool(), false);
        const QJsonObject pct = o["percentiles"].toObject();
        const QJsonObject ep = e["percentiles"].toObject();
        for (const QString& q : {QStringLiteral("1"), QStringLiteral("99"), QStringLiteral("0.1"),
                                 QStringLiteral("99.9")})
            QVERIFY2(near(pct[q].toDouble(), ep[q].toDouble(), 1e-9), qPrintable(q));
    }

    void indexedTensor() {
        // 6.weight[0, 0] of the whole-module fixture is a 3 x 3 matrix (torch's w[0, 0]).
        const Result r = run({QStringLiteral("stats"),
                              wstest::fixture(QStringLiteral("pytorch/whole_module.pt")),
                              QStringLiteral("6.weight[0, 0]"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(o["shape"].toArray(), (QJsonArray{3, 3}));
        QCOMPARE(o["singular_values"].toArray().size(), 3);
        wstest::Npy w;
        QVERIFY(wstest::readNpy(wstest::fixture(QStringLiteral("analysis/slice_1.npy")), &w));
        QCOMPARE(w.shape, (std::vector<int64_t>{1, 3, 3})); // torch's 6.weight[0]
        double mn = w.values[0], mx = w.values[0], ss = 0;
        for (double v : w.values) {
            mn = std::min(mn, v);
            mx = std::max(mx, v);
            ss += v * v;
        }
        QCOMPARE(o["min"].toDouble(), mn);
        QCOMPARE(o["max"].toDouble(), mx);
        QVERIFY(near(o["frobenius"].toDouble(), std::sqrt(ss), 1e-9));
        // A 1-D view has no singular values.
        const Result v = run({QStringLiteral("stats"),
                              wstest::fixture(QStringLiteral("pytorch/whole_module.pt")),
                              QStringLiteral("6.weight[1, 0, -1]"), QStringLiteral("--json")});
        QVERIFY2(v.code == 0, qPrintable(v.err));
        const QJsonObject ov = QJsonDocument::fromJson(v.out.toUtf8()).object();
        QCOMPARE(ov["count"].toInt(), 3);
        QVERIFY(!ov.contains(QStringLiteral("singular_values")));
    }

    void nanValuesKeepTheOtherStatistics() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("nan.npy"));
        QString out;
        QCOMPARE(wstest::runPython({QStringLiteral("-c"),
                                    QStringLiteral("import numpy as np,sys\n"
                                                   "a=np.arange(12,dtype=np.float32).reshape(3,4)\n"
                                                   "a[1,1]=np.nan\nnp.save(sys.argv[1],a)\n"),
                                    path},
                                   &out),
                 0);
        const Result r =
            run({QStringLiteral("stats"), path, QStringLiteral("nan"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(o["nan_count"].toInt(), 1);
        QCOMPARE(o["max"].toDouble(), 11.0); // numpy.nanmax
        QVERIFY(!o.contains(QStringLiteral("singular_values")));
        QVERIFY(o["singular_values_problem"].toString().contains(QLatin1String("NaN")));
    }

    void textOutput() {
        const Result r =
            run({QStringLiteral("stats"), wstest::fixture(QStringLiteral("analysis/matrix.npy")),
                 QStringLiteral("matrix"), QStringLiteral("--bins"), QStringLiteral("5")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(QLatin1String("stable rank")));
        QVERIFY(r.out.contains(QLatin1String("singular values (12)")));
        QVERIFY(r.out.contains(QLatin1String("histogram (5 bins)")));
        QVERIFY(r.out.contains(QLatin1String("max            9.5")));
    }

    void exitCodes_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");
        const QString m = wstest::fixture(QStringLiteral("analysis/matrix.npy"));
        const QString pt = wstest::fixture(QStringLiteral("pytorch/whole_module.pt"));
        QTest::newRow("no tensor") << QStringList{"stats", m} << 1 << "missing TENSOR";
        QTest::newRow("bad bins") << QStringList{"stats", m, "matrix", "--bins", "0"} << 1
                                  << "bad --bins";
        QTest::newRow("unknown option")
            << QStringList{"stats", m, "matrix", "--x"} << 1 << "unknown option";
        QTest::newRow("malformed index")
            << QStringList{"stats", pt, "6.weight[a]"} << 1 << "malformed";
        QTest::newRow("unknown tensor")
            << QStringList{"stats", pt, "6.wieght"} << 2 << "did you mean '6.weight'";
        QTest::newRow("out of range")
            << QStringList{"stats", pt, "6.weight[2]"} << 2 << "out of range";
        QTest::newRow("missing file")
            << QStringList{"stats", "/nonexistent.pt", "w"} << 2 << "nonexistent";
    }

    void exitCodes() {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, message);
        const Result r = run(args);
        QCOMPARE(r.code, code);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
    }

    void help() {
        Result r = run({QStringLiteral("help"), QStringLiteral("stats")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains(QLatin1String("--bins")));
        r = run({QStringLiteral("--help")});
        QVERIFY(r.out.contains(QLatin1String("stats")));
    }
};

QTEST_GUILESS_MAIN(TstStatsCommand)
#include "tst_statscommand.moc"
