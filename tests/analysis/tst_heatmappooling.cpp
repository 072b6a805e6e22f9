// Max-magnitude pooling and finite ranges, from memory and streamed from files:
// every grid is checked against a plain scan of each block, and the file made by
// numpy gives the expected finite range.
#include "Analysis.h"
#include "FormatRegistry.h"
#include "MatrixSource.h"
#include "Parallel.h"
#include "WeightFile.h"

#include "TestUtil.h"

#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <limits>
#include <tuple>

using namespace ws;

class TestHeatmapPooling : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void memoryMatchesPlainScan_data();
    void memoryMatchesPlainScan();
    void wideRowsFoldAcrossChunks();
    void everyCellAlone();
    void fileMatchesMemory();
    void fileSourceOnlyForPlainFloat32();
    void halfAndBFloat16FromFile();
    void largeValuesReadInPieces();
    void histogramAndNormsFromFile();
    void truncatedFileIsAnError();
    void partsReportTheirError();

private:
    QTemporaryDir m_dir;
    QString m_npy;
    double m_npMin = 0, m_npMax = 0;
};

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

/// The expected grid, scanned block by block without any of the pooling's tricks.
MatrixF plainPool(const MatrixF& m, int64_t r0, int64_t c0, int64_t nr, int64_t nc, int maxR,
                  int maxC) {
    const int64_t outR = std::min<int64_t>(nr, maxR), outC = std::min<int64_t>(nc, maxC);
    MatrixF g(outR, outC);
    for (int64_t r = 0; r < outR; ++r)
        for (int64_t c = 0; c < outC; ++c) {
            float best = 0;
            bool any = false, nan = false;
            for (int64_t i = r0 + r * nr / outR; i < r0 + (r + 1) * nr / outR; ++i)
                for (int64_t j = c0 + c * nc / outC; j < c0 + (c + 1) * nc / outC; ++j) {
                    const float v = m(i, j);
                    if (std::isnan(v))
                        nan = true;
                    else if (!any || std::fabs(v) > std::fabs(best) ||
                             (std::fabs(v) == std::fabs(best) && v > best))
                        best = v, any = true;
                }
            g(r, c) = nan ? kNaN : best;
        }
    return g;
}

bool sameGrid(const MatrixF& a, const MatrixF& b, QString* where) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) {
        *where = QStringLiteral("shape %1x%2 vs %3x%4")
                     .arg(a.rows())
                     .arg(a.cols())
                     .arg(b.rows())
                     .arg(b.cols());
        return false;
    }
    for (Eigen::Index r = 0; r < a.rows(); ++r)
        for (Eigen::Index c = 0; c < a.cols(); ++c) {
            const float x = a(r, c), y = b(r, c);
            if (!(x == y || (std::isnan(x) && std::isnan(y)))) {
                *where = QStringLiteral("cell (%1, %2): %3 vs %4").arg(r).arg(c).arg(x).arg(y);
                return false;
            }
        }
    return true;
}

MatrixF randomMatrix(int64_t rows, int64_t cols, quint32 seed) {
    QRandomGenerator rng(seed);
    MatrixF m(rows, cols);
    for (Eigen::Index i = 0; i < m.size(); ++i)
        m.data()[i] = float(rng.generateDouble() * 2 - 1);
    return m;
}

} // namespace

void TestHeatmapPooling::initTestCase() {
    QVERIFY(m_dir.isValid());
    // A float32 matrix big enough for the threaded passes (> 2M elements), with
    // NaN, infinities and outliers in known places; numpy reports its finite range.
    m_npy = m_dir.filePath(QStringLiteral("big.npy"));
    QString out;
    const int rc = wstest::runPython(
        {QStringLiteral("-c"),
         QStringLiteral("import numpy as np, sys\n"
                        "rng = np.random.default_rng(7)\n"
                        "a = rng.standard_normal((2111, 1031)).astype(np.float32)\n"
                        "a[5, 7] = np.nan; a[1500, 3] = np.inf; a[2000, 1030] = -np.inf\n"
                        "a[1234, 567] = -40.5; a[17, 1000] = 33.25\n"
                        "np.save(sys.argv[1], a)\n"
                        "f = a[np.isfinite(a)]\n"
                        "print(repr(float(f.min())), repr(float(f.max())))\n"),
         m_npy},
        &out);
    QVERIFY2(rc == 0, qPrintable(out));
    const QStringList parts = out.trimmed().split(QLatin1Char(' '));
    QCOMPARE(parts.size(), 2);
    m_npMin = parts[0].toDouble();
    m_npMax = parts[1].toDouble();
    QCOMPARE(m_npMin, -40.5);
    QCOMPARE(m_npMax, 33.25);
}

void TestHeatmapPooling::memoryMatchesPlainScan_data() {
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    QTest::addColumn<int>("r0");
    QTest::addColumn<int>("c0");
    QTest::addColumn<int>("nr");
    QTest::addColumn<int>("nc");
    QTest::addColumn<int>("maxR");
    QTest::addColumn<int>("maxC");
    QTest::newRow("exact") << 7 << 9 << 0 << 0 << 7 << 9 << 100 << 100;
    QTest::newRow("exact region") << 7 << 9 << 2 << 3 << 4 << 5 << 100 << 100;
    QTest::newRow("pooled both") << 301 << 257 << 0 << 0 << 301 << 257 << 40 << 33;
    QTest::newRow("pooled rows only") << 999 << 12 << 0 << 0 << 999 << 12 << 50 << 100;
    QTest::newRow("pooled cols only") << 12 << 999 << 0 << 0 << 12 << 999 << 100 << 50;
    QTest::newRow("region clipped") << 100 << 80 << 90 << 70 << 50 << 50 << 3 << 4;
    QTest::newRow("one cell") << 64 << 64 << 0 << 0 << 64 << 64 << 1 << 1;
    QTest::newRow("threaded") << 2100 << 1100 << 0 << 0 << 2100 << 1100 << 700 << 900;
}

void TestHeatmapPooling::memoryMatchesPlainScan() {
    QFETCH(int, rows);
    QFETCH(int, cols);
    QFETCH(int, r0);
    QFETCH(int, c0);
    QFETCH(int, nr);
    QFETCH(int, nc);
    QFETCH(int, maxR);
    QFETCH(int, maxC);
    MatrixF m = randomMatrix(rows, cols, quint32(rows * 31 + cols));
    m(rows / 2, cols / 3) = -1000; // an outlier that must survive
    m(rows - 1, cols - 1) = kNaN;
    m(0, cols - 1) = -kInf;
    const PooledGrid g = poolMaxMagnitude(m, r0, c0, nr, nc, maxR, maxC);
    const int64_t cr = std::min<int64_t>(nr, rows - r0), cc = std::min<int64_t>(nc, cols - c0);
    QCOMPARE(g.rowStart, int64_t(r0));
    QCOMPARE(g.colStart, int64_t(c0));
    QCOMPARE(g.rowCount, cr);
    QCOMPARE(g.colCount, cc);
    QCOMPARE(g.exact, cr <= maxR && cc <= maxC);
    QString where;
    QVERIFY2(sameGrid(g.values, plainPool(m, r0, c0, cr, cc, maxR, maxC), &where),
             qPrintable(where));
}

void TestHeatmapPooling::wideRowsFoldAcrossChunks() {
    // Rows wider than the pooling's column chunk: blocks straddle chunk edges.
    MatrixF m = randomMatrix(3, 200003, 11);
    m(1, 65535) = 77;  // last column of the first chunk
    m(2, 65536) = -88; // first column of the second
    m(0, 131071) = kNaN;
    for (const int maxC : {1, 7, 1000, 65536}) {
        const PooledGrid g = poolMaxMagnitude(m, 0, 0, 3, 200003, 2, maxC);
        QString where;
        QVERIFY2(sameGrid(g.values, plainPool(m, 0, 0, 3, 200003, 2, maxC), &where),
                 qPrintable(QStringLiteral("maxC %1: %2").arg(maxC).arg(where)));
    }
}

void TestHeatmapPooling::everyCellAlone() {
    // Re-pooling one cell after an edit (a 1 x 1 grid of a 1 x 1 block anywhere).
    const MatrixF m = randomMatrix(8, 4, 3);
    for (int r = 0; r < 8; ++r)
        for (int c = 0; c < 4; ++c) {
            const PooledGrid g = poolMaxMagnitude(m, r, c, 1, 1, 1, 1);
            QCOMPARE(g.values.size(), Eigen::Index(1));
            QCOMPARE(g.values(0, 0), m(r, c));
        }
}

void TestHeatmapPooling::fileMatchesMemory() {
    QString error;
    auto file = openWeightFile(m_npy, &error);
    QVERIFY2(file, qPrintable(error));
    QCOMPARE(int(file->tensors.size()), 1);
    const Tensor& t = *file->tensors[0];
    auto streamed = fileSource(t);
    QVERIFY(streamed);
    QVERIFY(!t.storage->isLoaded());
    auto values = std::make_shared<MatrixF>();
    QVERIFY2(t.values(values.get(), &error), qPrintable(error));
    auto memory = memorySource(values);
    QCOMPARE(streamed->rows(), int64_t(2111));
    QCOMPARE(streamed->cols(), int64_t(1031));

    double lo = 0, hi = 0;
    QVERIFY2(streamed->finiteMinMax(&lo, &hi, &error), qPrintable(error));
    QCOMPARE(lo, m_npMin);
    QCOMPARE(hi, m_npMax);
    QVERIFY(memory->finiteMinMax(&lo, &hi, &error));
    QCOMPARE(lo, m_npMin);
    QCOMPARE(hi, m_npMax);

    struct Case {
        int64_t r0, c0, nr, nc;
        int maxR, maxC;
    };
    for (const Case& k : {Case{0, 0, 2111, 1031, 700, 1200}, Case{0, 0, 2111, 1031, 64, 64},
                          Case{100, 200, 1500, 300, 128, 4096},     // part of each row: row reads
                          Case{1200, 500, 100, 100, 4096, 4096}}) { // exact cells
        PooledGrid a, b;
        QVERIFY2(streamed->pool(k.r0, k.c0, k.nr, k.nc, k.maxR, k.maxC, &a, &error),
                 qPrintable(error));
        QVERIFY(memory->pool(k.r0, k.c0, k.nr, k.nc, k.maxR, k.maxC, &b, &error));
        QString where;
        QVERIFY2(
            sameGrid(a.values, plainPool(*values, k.r0, k.c0, k.nr, k.nc, k.maxR, k.maxC), &where),
            qPrintable(where));
        QVERIFY2(sameGrid(b.values, a.values, &where), qPrintable(where));
    }
    PooledGrid whole;
    QVERIFY(streamed->pool(0, 0, 2111, 1031, 100, 100, &whole, &error));
    QCOMPARE(whole.values.minCoeff<Eigen::PropagateNumbers>(), -kInf);
    QVERIFY(std::isnan(whole.values(5 * 100 / 2111, 7 * 100 / 1031)));
    QVERIFY(!t.storage->isLoaded()); // streaming never loads the storage
}

void TestHeatmapPooling::fileSourceOnlyForPlainFloat32() {
    // Every tensor has a source now (views, other dtypes, memory), reading the same
    // values as Tensor::values, and none loads the storage.
    QString error;
    auto file = openWeightFile(m_npy, &error);
    QVERIFY2(file, qPrintable(error));
    Tensor t = *file->tensors[0];
    auto sameAsValues = [&](const Tensor& x) {
        auto src = fileSource(x);
        if (!src) return false;
        MatrixF m;
        QString e;
        if (!x.values(&m, &e)) return false;
        std::vector<float> buf;
        int64_t stride = 0;
        for (int64_t r : {int64_t(0), src->rows() / 2, src->rows() - 1}) {
            const float* p = src->tile(r, 1, 0, src->cols(), &buf, &stride, &e);
            if (!p) return false;
            for (int64_t c = 0; c < src->cols(); ++c)
                if (!(p[c] == m(Eigen::Index(r), Eigen::Index(c)) ||
                      (std::isnan(p[c]) && std::isnan(m(Eigen::Index(r), Eigen::Index(c))))))
                    return false;
        }
        return true;
    };
    QVERIFY(sameAsValues(t));
    Tensor view = t; // a transposed view
    view.shape = {t.shape[1], t.shape[0]};
    view.strides = {1, t.shape[1]};
    QVERIFY(sameAsValues(view));
    Tensor asInt = t; // another dtype, converted
    asInt.dtype = DType::Int32;
    QVERIFY(sameAsValues(asInt));
    QVERIFY(!t.storage->isLoaded());
    auto bytes = Storage::fromBytes(QByteArray(64, '\0'), QStringLiteral("mem"));
    Tensor inMemory;
    inMemory.name = QStringLiteral("m");
    inMemory.setContiguousShape({4, 4});
    inMemory.storage = bytes;
    QVERIFY(sameAsValues(inMemory));
    // A tensor whose record lies past the end of the file has none.
    Tensor past = t;
    past.storage =
        Storage::fromFileRange(m_npy, 1 << 30, t.storage->byteSize(), QStringLiteral("x"));
    QVERIFY(!fileSource(past));
}

void TestHeatmapPooling::halfAndBFloat16FromFile() {
    // torch writes float16 and bfloat16 matrices (with inf and NaN); streaming them
    // from the file must give exactly what their values in memory give.
    const QString path = m_dir.filePath(QStringLiteral("half.pt"));
    QString out;
    const int rc = wstest::runPython(
        {QStringLiteral("-c"),
         QStringLiteral("import sys, torch\n"
                        "g = torch.Generator().manual_seed(3)\n"
                        "h = torch.randn(1500, 1450, generator=g).half()\n"
                        "h[2, 3] = float('inf'); h[700, 1400] = float('nan'); h[9, 9] = -60000\n"
                        "b = torch.randn(333, 777, generator=g).bfloat16()\n"
                        "b[5, 5] = 1e30; b[300, 2] = float('-inf')\n"
                        "torch.save({'h': h, 'b': b}, sys.argv[1])\n"
                        "for t in (h, b):\n"
                        "    f = t.float(); f = f[torch.isfinite(f)]\n"
                        "    print(repr(f.min().item()), repr(f.max().item()))\n"),
         path},
        &out);
    QVERIFY2(rc == 0, qPrintable(out));
    const QStringList lines = out.trimmed().split(QLatin1Char('\n'));
    QCOMPARE(lines.size(), 2);
    QString error;
    auto file = openWeightFile(path, &error);
    QVERIFY2(file, qPrintable(error));
    for (int k = 0; k < 2; ++k) {
        const Tensor& t = *file->find(k == 0 ? QStringLiteral("h") : QStringLiteral("b"));
        QCOMPARE(t.dtype, k == 0 ? DType::Float16 : DType::BFloat16);
        auto streamed = fileSource(t);
        QVERIFY(streamed);
        double lo = 0, hi = 0;
        QVERIFY2(streamed->finiteMinMax(&lo, &hi, &error), qPrintable(error));
        const QStringList range = lines[k].split(QLatin1Char(' '));
        QCOMPARE(lo, range[0].toDouble());
        QCOMPARE(hi, range[1].toDouble());
        auto values = std::make_shared<MatrixF>();
        QVERIFY2(t.values(values.get(), &error), qPrintable(error)); // widened from the file
        QVERIFY(!t.storage->isLoaded());
        std::vector<double> exact; // element by element from the loaded storage
        QVERIFY2(t.valuesDouble(&exact, &error), qPrintable(error));
        QCOMPARE(size_t(values->size()), exact.size());
        int64_t differ = 0;
        for (size_t i = 0; i < exact.size(); ++i) {
            const float a = values->data()[i], b = float(exact[i]);
            differ += !(a == b || (std::isnan(a) && std::isnan(b)));
        }
        QCOMPARE(differ, int64_t(0));
        for (const auto& [r0, c0, nr, nc, mr, mc] :
             {std::tuple<int, int, int, int, int, int>{0, 0, 5000, 5000, 300, 200},
              {1, 2, 100, 50, 4096, 4096}}) {
            PooledGrid a;
            QVERIFY2(streamed->pool(r0, c0, nr, nc, mr, mc, &a, &error), qPrintable(error));
            QString where;
            QVERIFY2(sameGrid(a.values,
                              plainPool(*values, r0, c0, std::min<int64_t>(nr, t.rows() - r0),
                                        std::min<int64_t>(nc, t.cols() - c0), mr, mc),
                              &where),
                     qPrintable(where));
        }
    }
}

void TestHeatmapPooling::largeValuesReadInPieces() {
    // 18 MB of float32: Tensor::values reads it in pieces on several threads into a
    // huge-page buffer. Every value must land in its place.
    const QString path = m_dir.filePath(QStringLiteral("pattern.npy"));
    QString out;
    const int rc = wstest::runPython(
        {QStringLiteral("-c"),
         QStringLiteral(
             "import sys, numpy as np\n"
             "i, j = np.indices((4100, 1100))\n"
             "np.save(sys.argv[1], (((i * 7 + j * 3) % 1000) / 8).astype(np.float32))\n"),
         path},
        &out);
    QVERIFY2(rc == 0, qPrintable(out));
    QString error;
    auto file = openWeightFile(path, &error);
    QVERIFY2(file, qPrintable(error));
    MatrixF m;
    QVERIFY2(file->tensors[0]->values(&m, &error), qPrintable(error));
    QCOMPARE(m.rows(), Eigen::Index(4100));
    QCOMPARE(m.cols(), Eigen::Index(1100));
    int64_t wrong = 0;
    for (int i = 0; i < 4100; ++i)
        for (int j = 0; j < 1100; ++j)
            wrong += m(i, j) != float((i * 7 + j * 3) % 1000) / 8;
    QCOMPARE(wrong, int64_t(0));
}

void TestHeatmapPooling::histogramAndNormsFromFile() {
    // Streamed from the file (tile by tile) they must equal the in-memory ones.
    QString error;
    auto file = openWeightFile(m_npy, &error);
    QVERIFY2(file, qPrintable(error));
    const Tensor& t = *file->tensors[0];
    auto streamed = fileSource(t);
    QVERIFY(streamed);
    MatrixF values;
    QVERIFY(t.values(&values, &error));
    for (const auto& [r0, c0, nr, nc] :
         {std::tuple<int, int, int, int>{0, 0, 2111, 1031}, {3, 5, 10, 1000}, {1400, 0, 300, 7}}) {
        Histogram h;
        QVERIFY2(histogramOf(*streamed, r0, c0, nr, nc, 64, &h, &error), qPrintable(error));
        const MatrixF block = values.block(r0, c0, nr, nc);
        const Histogram want = histogram(block.data(), int64_t(block.size()), 64);
        QCOMPARE(h.edges, want.edges);
        QCOMPARE(h.counts, want.counts);
    }
    std::vector<double> cols, rows;
    QVERIFY2(normsOf(*streamed, &cols, &rows, &error), qPrintable(error));
    const std::vector<double> wantCols = columnNorms(values), wantRows = rowNorms(values);
    QCOMPARE(cols.size(), wantCols.size());
    QCOMPARE(rows.size(), wantRows.size());
    for (size_t i = 0; i < cols.size(); ++i) // inf and NaN columns compare as such
        QVERIFY(cols[i] == wantCols[i] || std::fabs(cols[i] - wantCols[i]) <= 1e-12 * wantCols[i] ||
                (std::isnan(cols[i]) && std::isnan(wantCols[i])));
    for (size_t i = 0; i < rows.size(); ++i)
        QVERIFY(rows[i] == wantRows[i] || std::fabs(rows[i] - wantRows[i]) <= 1e-12 * wantRows[i] ||
                (std::isnan(rows[i]) && std::isnan(wantRows[i])));
}

void TestHeatmapPooling::truncatedFileIsAnError() {
    const QString copy = m_dir.filePath(QStringLiteral("cut.npy"));
    QFile::remove(copy);
    QVERIFY(QFile::copy(m_npy, copy));
    QString error;
    auto file = openWeightFile(copy, &error);
    QVERIFY2(file, qPrintable(error));
    auto streamed = fileSource(*file->tensors[0]);
    QVERIFY(streamed);
    // The file shrinks after opening (another program rewrote it).
    QVERIFY(QFile::resize(copy, QFileInfo(copy).size() / 2));
    double lo = 0, hi = 0;
    QVERIFY(!streamed->finiteMinMax(&lo, &hi, &error));
    QVERIFY2(error.contains(copy) && error.contains(QLatin1String("ends")), qPrintable(error));
    PooledGrid g;
    error.clear();
    QVERIFY(!streamed->pool(0, 0, 2111, 1031, 100, 100, &g, &error));
    QVERIFY2(error.contains(copy), qPrintable(error));
    QCOMPARE(g.values.size(), Eigen::Index(0));
    // Opening it now refuses to stream it: Tensor::values reports the short record.
    QVERIFY(!fileSource(*file->tensors[0]));
}

void TestHeatmapPooling::partsReportTheirError() {
    std::vector<int> seen(100, 0);
    QString error;
    QVERIFY(runParts(
        100, 4,
        [&](int, int64_t b, int64_t e, QString*) {
            for (int64_t i = b; i < e; ++i)
                ++seen[size_t(i)];
            return true;
        },
        &error));
    QVERIFY(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
    QVERIFY(!runParts(
        100, 4,
        [&](int part, int64_t, int64_t, QString* err) {
            if (part != 2) return true;
            *err = QStringLiteral("part two failed");
            return false;
        },
        &error));
    QCOMPARE(error, QStringLiteral("part two failed"));
}

QTEST_GUILESS_MAIN(TestHeatmapPooling)
#include "tst_heatmappooling.moc"
