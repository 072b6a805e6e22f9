// The heatmap's tiles (computeTile) against a plain scan of every cell: the value of
// largest magnitude (the first of equal ones, NaN winning), the finite range, for
// rows with NaN, infinities, ties of opposite sign and signed zeros, at every level
// shape the heatmap uses (powers of two, cells cut by the matrix's edge).
#include "MatrixSource.h"
#include "TileCache.h"

#include <QtTest>
#include <cmath>
#include <limits>
#include <random>

using namespace ws;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

bool same(float a, float b) {
    return (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b));
}

} // namespace

class TestTilePooling : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tilesMatchPlainScan_data();
    void tilesMatchPlainScan();
    void filledTilesInBandsMatchOneThread();
};

void TestTilePooling::tilesMatchPlainScan_data() {
    QTest::addColumn<int>("fr");
    QTest::addColumn<int>("fc");
    for (int fr : {1, 2, 4})
        for (int fc : {1, 2, 3, 4, 8, 16})
            QTest::newRow(qPrintable(QStringLiteral("%1x%2").arg(fr).arg(fc))) << fr << fc;
}

void TestTilePooling::tilesMatchPlainScan() {
    QFETCH(int, fr);
    QFETCH(int, fc);
    const int rows = 37, cols = 301; // cells cut at both edges
    auto m = std::make_shared<MatrixF>(rows, cols);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> small(-4, 4); // many equal magnitudes
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            (*m)(r, c) = float(small(rng)) * 0.25f;
    (*m)(3, 5) = kNaN;
    (*m)(3, 6) = 9.0f; // after the NaN in its cell: the NaN stays
    (*m)(7, 100) = kInf;
    (*m)(8, 200) = -kInf;
    (*m)(9, 0) = -0.0f;
    (*m)(10, 17) = -1.0f; // a tie of opposite sign: the first one wins
    (*m)(10, 18) = 1.0f;
    for (int c = 0; c < cols; ++c) // a row of signed zeros and one of all NaN
        (*m)(20, c) = c % 2 ? 0.0f : -0.0f;
    for (int c = 0; c < cols; ++c)
        (*m)(21, c) = kNaN;
    const auto source = memorySource(m);
    const TileLevel level{fr, fc};
    float wantMin = kInf, wantMax = -kInf;
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            if (std::isfinite((*m)(r, c))) {
                wantMin = std::min(wantMin, (*m)(r, c));
                wantMax = std::max(wantMax, (*m)(r, c));
            }
    float gotMin = kInf, gotMax = -kInf;
    const int64_t tileRows = (rows + kTileCells * fr - 1) / (kTileCells * fr);
    const int64_t tileCols = (cols + kTileCells * fc - 1) / (kTileCells * fc);
    for (int64_t ti = 0; ti < tileRows; ++ti)
        for (int64_t tj = 0; tj < tileCols; ++tj) {
            PooledTile tile;
            QString err;
            QVERIFY2(computeTile(*source, level, ti, tj, &tile, &err), qPrintable(err));
            for (int i = 0; i < tile.rows; ++i)
                for (int j = 0; j < tile.cols; ++j) {
                    // the plain scan, row by row, left to right
                    float best = 0, mag = -1;
                    for (int64_t r = tile.row0 + i * fr;
                         r < std::min<int64_t>(rows, tile.row0 + (i + 1) * fr); ++r)
                        for (int64_t c = tile.col0 + j * fc;
                             c < std::min<int64_t>(cols, tile.col0 + (j + 1) * fc); ++c) {
                            const float v = (*m)(r, c);
                            if (std::isnan(mag)) continue;
                            if (std::isnan(v)) {
                                best = v;
                                mag = kNaN;
                            } else if (std::fabs(v) > mag) {
                                best = v;
                                mag = std::fabs(v);
                            }
                        }
                    const float got = tile.values[size_t(i) * size_t(tile.cols) + size_t(j)];
                    QVERIFY2(same(got, best),
                             qPrintable(QStringLiteral("cell %1, %2: %3, plain scan %4")
                                            .arg(i)
                                            .arg(j)
                                            .arg(got)
                                            .arg(best)));
                }
            if (tile.hasFinite) {
                gotMin = std::min(gotMin, float(tile.min));
                gotMax = std::max(gotMax, float(tile.max));
            }
        }
    QCOMPARE(gotMin, wantMin);
    QCOMPARE(gotMax, wantMax);
}

// fillTiles splits a tile's cell rows between the cores when there are fewer tiles
// than cores (a pan): each band must pool exactly the cells one thread would, NaN and
// infinities included, and the range must merge across bands.
void TestTilePooling::filledTilesInBandsMatchOneThread() {
    const int rows = 2048 + 9, cols = 1030; // 2 x 2 tiles at 8 x 4, the last ones cut
    auto m = std::make_shared<MatrixF>(rows, cols);
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (Eigen::Index i = 0; i < m->size(); ++i)
        m->data()[i] = normal(rng);
    (*m)(5, 7) = kNaN;
    (*m)(1500, 9) = kInf;
    (*m)(2050, 1029) = -kInf;
    (*m)(1023, 40) = 1000.0f; // the range's ends in one band each
    (*m)(1024, 41) = -1000.0f;
    const auto source = memorySource(m);
    const TileLevel level{8, 4};
    const std::vector<TileIndex> tiles = {{0, 0}, {0, 1}, {1, 0}};
    QString err;
    QVERIFY2(fillTiles(*source, level, tiles, &err), qPrintable(err));
    for (const TileIndex& ix : tiles) {
        PooledTile want;
        QVERIFY2(computeTile(*source, level, ix.ti, ix.tj, &want, &err), qPrintable(err));
        const auto got = TileCache::instance().find(source->cacheKey(), level, ix.ti, ix.tj);
        QVERIFY(got);
        QCOMPARE(got->rows, want.rows);
        QCOMPARE(got->cols, want.cols);
        for (size_t k = 0; k < want.values.size(); ++k)
            QVERIFY2(same(got->values[k], want.values[k]), qPrintable(QString::number(k)));
        QCOMPARE(got->hasFinite, want.hasFinite);
        QCOMPARE(got->min, want.min);
        QCOMPARE(got->max, want.max);
    }
    const auto first = TileCache::instance().find(source->cacheKey(), level, 0, 0);
    QCOMPARE(first->min, -1000.0);
    QCOMPARE(first->max, 1000.0);
    QVERIFY(std::isnan(first->values[0 * size_t(first->cols) + 1])); // (5, 7): cell (0, 1)
}

QTEST_APPLESS_MAIN(TestTilePooling)
#include "tst_tilepooling.moc"
