// Histograms, percentiles, singular values, ranks and norms against NumPy's values
// (tests/fixtures/make_analysis_fixtures.py), the randomized SVD on a large matrix,
// cancellation, and the comparison of two files.
#include "Analysis.h"
#include "TestUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>
#include <cmath>
#include <random>

using namespace ws;

class TestAnalysis : public QObject {
    Q_OBJECT

    QJsonObject m_expected;
    std::vector<float> m_values;
    MatrixF m_matrix;

    static std::vector<double> doubles(const QJsonValue& v) {
        std::vector<double> out;
        for (const QJsonValue& x : v.toArray())
            out.push_back(x.toDouble());
        return out;
    }
    static void compareClose(const std::vector<double>& got, const std::vector<double>& want,
                             double rel) {
        QCOMPARE(got.size(), want.size());
        for (size_t i = 0; i < got.size(); ++i) {
            const double tol = rel * std::max(1.0, std::abs(want[i]));
            if (std::abs(got[i] - want[i]) > tol)
                QFAIL(qPrintable(QStringLiteral("element %1: %2 != %3")
                                     .arg(i)
                                     .arg(got[i], 0, 'g', 17)
                                     .arg(want[i], 0, 'g', 17)));
        }
    }

private slots:
    void initTestCase() {
        QFile f(wstest::fixture(QStringLiteral("analysis/expected.json")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        m_expected = QJsonDocument::fromJson(f.readAll()).object();
        QVERIFY(!m_expected.isEmpty());
        wstest::Npy npy;
        QVERIFY(wstest::readNpy(wstest::fixture(QStringLiteral("analysis/matrix.npy")), &npy));
        QCOMPARE(npy.shape.size(), size_t(2));
        m_matrix.resize(npy.shape[0], npy.shape[1]);
        for (size_t i = 0; i < npy.values.size(); ++i) {
            m_values.push_back(float(npy.values[i]));
            m_matrix.data()[i] = float(npy.values[i]);
        }
    }

    void histogramsMatchNumpy() {
        const QJsonArray hs = m_expected["matrix"].toObject()["histograms"].toArray();
        QVERIFY(hs.size() >= 3);
        for (const QJsonValue& hv : hs) {
            const QJsonObject h = hv.toObject();
            double lo = 0, hi = 0;
            if (h["range"].isArray()) {
                lo = h["range"].toArray()[0].toDouble();
                hi = h["range"].toArray()[1].toDouble();
            }
            const Histogram got =
                histogram(m_values.data(), int64_t(m_values.size()), h["bins"].toInt(), lo, hi);
            compareClose(got.edges, doubles(h["edges"]), 1e-12);
            std::vector<double> counts(got.counts.begin(), got.counts.end());
            QCOMPARE(counts, doubles(h["counts"]));
            // Counts sum to the number of values inside the range.
            int64_t inRange = 0, sum = 0;
            for (float v : m_values)
                inRange += (v >= got.edges.front() && v <= got.edges.back()) ? 1 : 0;
            for (int64_t c : got.counts)
                sum += c;
            QCOMPARE(sum, inRange);
        }
    }

    void histogramEdgeCases() {
        const float nanv = std::nanf("");
        const float values[] = {1.0f, nanv, 3.0f, std::numeric_limits<float>::infinity(), 2.0f};
        const Histogram h = histogram(values, 5, 2);
        QCOMPARE(h.edges, (std::vector<double>{1.0, 2.0, 3.0}));
        QCOMPARE(h.counts, (std::vector<int64_t>{1, 2})); // last bin closed on the right
        const float constant[] = {4.0f, 4.0f};
        const Histogram c = histogram(constant, 2, 1);
        QCOMPARE(c.edges, (std::vector<double>{3.5, 4.5}));
        QCOMPARE(c.counts, (std::vector<int64_t>{2}));
    }

    void percentilesMatchNumpy() {
        const QJsonObject ps = m_expected["matrix"].toObject()["percentiles"].toObject();
        QVERIFY(ps.size() >= 4);
        for (const QString& key : ps.keys()) {
            const double q = key.toDouble();
            const double got = percentile(m_values.data(), int64_t(m_values.size()), q);
            QVERIFY2(std::abs(got - ps[key].toDouble()) < 1e-9,
                     qPrintable(key + QStringLiteral(": ") + QString::number(got, 'g', 17)));
        }
        const auto [lo, hi] = percentileRange(m_values.data(), int64_t(m_values.size()), 1, 99);
        QVERIFY(std::abs(lo - ps["1"].toDouble()) < 1e-9);
        QVERIFY(std::abs(hi - ps["99"].toDouble()) < 1e-9);
        QVERIFY(std::isnan(percentile(nullptr, 0, 50)));
    }

    void spectrumMatchesNumpy() {
        const QJsonObject e = m_expected["matrix"].toObject();
        Spectrum s;
        QString error;
        QVERIFY2(computeSpectrum(m_matrix, &s, &error), qPrintable(error));
        QVERIFY(!s.truncated);
        compareClose(s.singularValues, doubles(e["singular_values"]), 1e-5);
        QVERIFY(std::abs(s.stableRank - e["stable_rank"].toDouble()) < 1e-5);
        QVERIFY(std::abs(s.effectiveRank - e["effective_rank"].toDouble()) < 1e-5);
        QVERIFY(std::abs(s.frobenius - e["frobenius"].toDouble()) < 1e-5);
        QVERIFY(std::abs(s.spectral - e["spectral"].toDouble()) < 1e-5);
    }

    void gramMatchesNumpy() {
        const std::vector<double> want =
            doubles(m_expected["matrix"].toObject()["singular_values"]);
        for (const MatrixF& m : {m_matrix, MatrixF(m_matrix.transpose())}) {
            std::vector<double> got;
            QVERIFY(gramSingularValues(m, &got));
            QCOMPARE(got.size(), want.size());
            for (size_t i = 0; i < got.size(); ++i)
                QVERIFY2(
                    std::abs(got[i] - want[i]) < 1e-6 * want[0],
                    qPrintable(QStringLiteral("%1: %2 vs %3").arg(i).arg(got[i]).arg(want[i])));
        }
        std::vector<double> got;
        QVERIFY(!gramSingularValues(m_matrix, &got, [](double) { return false; }));
    }

    void normsMatchNumpy() {
        const QJsonObject e = m_expected["matrix"].toObject();
        compareClose(columnNorms(m_matrix), doubles(e["column_norms"]), 1e-9);
        compareClose(rowNorms(m_matrix), doubles(e["row_norms"]), 1e-9);
    }

    void randomizedSvdOnLargeMatrix() {
        // Rank-40 signal with decaying strengths plus noise, 3000 x 2500, and numpy's values.
        const int rows = 3000, cols = 2500, k = 40;
        std::mt19937 gen(3);
        std::normal_distribution<float> normal;
        Eigen::MatrixXf u(rows, k), v(k, cols);
        for (int j = 0; j < k; ++j)
            for (int i = 0; i < rows; ++i)
                u(i, j) = normal(gen) * float(std::pow(0.9, j));
        for (int i = 0; i < k; ++i)
            for (int j = 0; j < cols; ++j)
                v(i, j) = normal(gen);
        MatrixF m = u * v;
        for (Eigen::Index i = 0; i < m.size(); ++i)
            m.data()[i] += 0.5f * normal(gen);

        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("big.f32"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(reinterpret_cast<const char*>(m.data()), qint64(m.size() * sizeof(float)));
        f.close();
        QString out;
        const QString script = QStringLiteral(
            "import numpy as np,sys\n"
            "a=np.fromfile(sys.argv[1],dtype=np.float32).reshape(3000,2500).astype(np.float64)\n"
            "print(' '.join(repr(x) for x in np.linalg.svd(a,compute_uv=False)[:20]))\n");
        QCOMPARE(wstest::runPython({QStringLiteral("-c"), script, path}, &out, 600000), 0);
        std::vector<double> want;
        for (const QString& x : out.trimmed().split(QLatin1Char(' ')))
            want.push_back(x.toDouble());
        QCOMPARE(want.size(), size_t(20));

        Spectrum s;
        QString error;
        double last = -1;
        bool monotonic = true;
        auto progress = [&](double p) {
            monotonic = monotonic && p >= last;
            last = p;
            return true;
        };
        QVERIFY2(computeSpectrum(m, &s, &error, progress, 2048, 64), qPrintable(error));
        QVERIFY(s.truncated);
        QCOMPARE(s.singularValues.size(), size_t(64));
        QVERIFY(monotonic);
        QCOMPARE(last, 1.0);
        for (size_t i = 0; i < want.size(); ++i)
            QVERIFY2(
                std::abs(s.singularValues[i] - want[i]) <= 0.01 * want[i],
                qPrintable(
                    QStringLiteral("%1: %2 vs %3").arg(i).arg(s.singularValues[i]).arg(want[i])));
        // Stable rank uses the exact Frobenius norm.
        const double fro = std::sqrt(m.cast<double>().squaredNorm());
        QVERIFY(std::abs(s.frobenius - fro) < 1e-6 * fro);
        QVERIFY(std::abs(s.stableRank - fro * fro / (s.spectral * s.spectral)) < 1e-9);

        // Cancelling stops the computation with an error.
        int calls = 0;
        auto cancel = [&](double) { return ++calls < 3; };
        Spectrum c;
        QVERIFY(!computeSpectrum(m, &c, &error, cancel, 2048, 64));
        QCOMPARE(calls, 3);
        QVERIFY(error.contains(QStringLiteral("cancel")));
    }

    void emptyAndConstantMatrices() {
        Spectrum s;
        QString error;
        QVERIFY(computeSpectrum(MatrixF(0, 3), &s, &error));
        QVERIFY(s.singularValues.empty());
        QCOMPARE(s.stableRank, 0.0);
        MatrixF z = MatrixF::Zero(3, 4);
        QVERIFY(computeSpectrum(z, &s, &error));
        QCOMPARE(s.spectral, 0.0);
        QCOMPARE(s.effectiveRank, 0.0);
    }

    void compareTwoFiles() {
        WeightFile a, b;
        auto make = [](const QString& name, std::vector<float> values) {
            auto t = std::make_shared<Tensor>();
            t->name = name;
            t->setContiguousShape({int64_t(values.size())});
            QByteArray bytes(reinterpret_cast<const char*>(values.data()),
                             qsizetype(values.size() * sizeof(float)));
            t->storage = Storage::fromBytes(bytes, name);
            return t;
        };
        a.tensors = {make("w", {3, 4}), make("only_a", {1}), make("s", {1, 2})};
        b.tensors = {make("w", {3, 5}), make("s", {1, 2, 3}), make("only_b", {2})};
        const auto changes = compareFiles(a, b);
        QCOMPARE(changes.size(), size_t(4));
        QCOMPARE(changes[0].name, QStringLiteral("w"));
        QVERIFY(changes[0].problem.isEmpty());
        QVERIFY(std::abs(changes[0].relativeChange - 1.0 / 5.0) < 1e-12);
        QCOMPARE(changes[0].maxAbsChange, 1.0);
        QCOMPARE(changes[0].l2A, 5.0);
        QCOMPARE(changes[1].problem, QStringLiteral("only in A"));
        QCOMPARE(changes[2].problem, QStringLiteral("shape differs"));
        QCOMPARE(changes[3].name, QStringLiteral("only_b"));
        QCOMPARE(changes[3].problem, QStringLiteral("only in B"));
    }
};

QTEST_GUILESS_MAIN(TestAnalysis)
#include "tst_analysis.moc"
