// An LRU list with a hash index; invalidation walks one key's tiles.
#include "TileCache.h"
#include "Parallel.h"

#include <QHash>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <list>
#include <mutex>
#include <vector>

namespace ws {

namespace {

// Pools one row of \a n values (its first at column \a col0 of the tile's cells, \a fc
// columns per cell) into the cells' largest magnitudes and values, and its values into
// the finite range, exactly as the plain loop does: false, touching nothing, when the
// row holds a NaN or an infinity. The magnitudes and range are computed four lanes at
// a time (GCC vector extensions) into \a mag as the bits of |v| (which order as the
// magnitudes do); each cell then takes the largest without a branch and looks for its
// first position only when it beats what the cell holds (a branch per element on
// random data mispredicted half the time: it was most of a pan's cost).
bool poolFiniteRow(const float* p, int64_t n, int64_t col0, int64_t fc, float* vals, float* mags,
                   int32_t* mag, float* mn, float* mx) {
    using V = float __attribute__((vector_size(16)));
    using M = int __attribute__((vector_size(16)));
    const float inf = std::numeric_limits<float>::infinity();
    V lo = {inf, inf, inf, inf}, hi = -lo;
    M bad = {0, 0, 0, 0};
    const M absMask = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        V v;
        M bits;
        std::memcpy(&v, p + i, sizeof v);
        std::memcpy(&bits, p + i, sizeof bits);
        const V z = v - v; // 0 for finite values, NaN for NaN and infinities
        bad |= z != z;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        bits &= absMask;
        std::memcpy(mag + i, &bits, sizeof bits);
    }
    if (bad[0] | bad[1] | bad[2] | bad[3]) return false;
    float rowLo = std::min(std::min(lo[0], lo[1]), std::min(lo[2], lo[3]));
    float rowHi = std::max(std::max(hi[0], hi[1]), std::max(hi[2], hi[3]));
    for (; i < n; ++i) {
        const float v = p[i];
        if (v - v != 0) return false;
        rowLo = std::min(rowLo, v);
        rowHi = std::max(rowHi, v);
        const float m = std::fabs(v);
        std::memcpy(mag + i, &m, sizeof m);
    }
    *mn = std::min(*mn, rowLo);
    *mx = std::max(*mx, rowHi);
    int64_t cell = col0 / fc;
    for (int64_t c = 0, end = std::min(n, (cell + 1) * fc - col0); c < n;
         c = end, end = std::min(n, end + fc), ++cell) {
        int32_t best = mag[c];
        for (int64_t k = c + 1; k < end; ++k)
            best = std::max(best, mag[k]);
        float m;
        std::memcpy(&m, &best, sizeof m);
        if (!(m > mags[cell])) continue; // never replaces a NaN already there
        int64_t at = c;
        while (mag[at] != best) // the first of equal magnitudes
            ++at;
        mags[cell] = m;
        vals[cell] = p[at];
    }
    return true;
}

// Pools the element rows of cell rows [cellFirst, cellEnd) of tile \a t into its values
// and magnitudes \a best, and their finite values into [*mn, *mx]. Bands of whole cell
// rows touch disjoint cells, so several run at once on one tile.
bool poolBand(const MatrixSource& source, PooledTile& t, std::vector<float>& best, int64_t nRows,
              int64_t nCols, int64_t cellFirst, int64_t cellEnd, float* mnOut, float* mxOut,
              QString* error, const std::atomic<bool>* cancel) {
    const int64_t fr = t.fr, fc = t.fc;
    const int64_t r0 = t.row0 + cellFirst * fr;
    const int64_t r1 = std::min(t.row0 + nRows, t.row0 + cellEnd * fr);
    float mn = std::numeric_limits<float>::infinity(), mx = -mn;
    const bool ok = source.forEachTile(
        r0, t.col0, r1 - r0, nCols,
        [&](const MatrixSource::Tile& tile) {
            if (cancel && cancel->load(std::memory_order_relaxed)) return;
            std::vector<int32_t> mag(size_t(tile.nCols));
            for (int64_t r = 0; r < tile.nRows; ++r) {
                const float* p = tile.data + r * tile.stride;
                const int64_t cellRow = (tile.row0 + r - t.row0) / fr;
                float* vals = t.values.data() + cellRow * t.cols;
                float* mags = best.data() + cellRow * t.cols;
                if (poolFiniteRow(p, tile.nCols, tile.col0 - t.col0, fc, vals, mags, mag.data(),
                                  &mn, &mx))
                    continue;
                int64_t c = 0; // a NaN or an infinity in the row: the plain loop
                while (c < tile.nCols) {
                    const int64_t col = tile.col0 + c - t.col0;
                    const int64_t cell = col / fc;
                    const int64_t end = std::min(tile.nCols, c + (cell + 1) * fc - col);
                    float bv = vals[cell], bm = mags[cell];
                    for (; c < end; ++c) {
                        const float v = p[c];
                        const float m = std::fabs(v);
                        if (m > bm || (v != v && bm == bm)) { // NaN wins so that it is seen
                            bm = v != v ? std::numeric_limits<float>::quiet_NaN() : m;
                            bv = v;
                        }
                        if (v - v == 0) { // finite
                            mn = v < mn ? v : mn;
                            mx = v > mx ? v : mx;
                        }
                    }
                    vals[cell] = bv;
                    mags[cell] = bm;
                }
            }
        },
        error);
    *mnOut = mn;
    *mxOut = mx;
    return ok;
}

// computeTile with its cell rows split between \a threads (a pan needs a few tiles at
// once, fewer than or not a multiple of the cores: whole tiles per thread left one core
// doing two while the other waited).
bool computeTileBanded(const MatrixSource& source, TileLevel level, int64_t ti, int64_t tj,
                       PooledTile* out, QString* error, const std::atomic<bool>* cancel,
                       int threads) {
    const int64_t R = source.rows(), C = source.cols();
    PooledTile t;
    t.fr = level.fr;
    t.fc = level.fc;
    t.row0 = ti * kTileCells * level.fr;
    t.col0 = tj * kTileCells * level.fc;
    if (t.row0 >= R || t.col0 >= C || t.row0 < 0 || t.col0 < 0) {
        if (error) *error = QStringLiteral("tile outside the matrix");
        return false;
    }
    const int64_t nRows = std::min<int64_t>(kTileCells * level.fr, R - t.row0);
    const int64_t nCols = std::min<int64_t>(kTileCells * level.fc, C - t.col0);
    t.rows = int((nRows + level.fr - 1) / level.fr);
    t.cols = int((nCols + level.fc - 1) / level.fc);
    t.values.assign(size_t(t.rows) * size_t(t.cols), 0.0f);
    std::vector<float> best(t.values.size(), -1.0f); // |value| so far; -1: none yet
    // Bands of at least 2^18 elements: smaller ones cost more to start than they save.
    const int64_t cellElements = std::max<int64_t>(1, level.fr * nCols);
    threads = int(std::clamp<int64_t>((int64_t(t.rows) * cellElements) >> 18, 1, threads));
    std::vector<float> mins(size_t(threads), std::numeric_limits<float>::infinity());
    std::vector<float> maxs(size_t(threads), -std::numeric_limits<float>::infinity());
    const bool ok = runParts(
        t.rows, threads,
        [&](int part, int64_t first, int64_t end, QString* err) {
            return poolBand(source, t, best, nRows, nCols, first, end, &mins[size_t(part)],
                            &maxs[size_t(part)], err, cancel);
        },
        error);
    if (cancel && cancel->load()) {
        if (error) *error = QStringLiteral("cancelled");
        return false;
    }
    if (!ok) return false;
    const float mn = *std::min_element(mins.begin(), mins.end());
    const float mx = *std::max_element(maxs.begin(), maxs.end());
    t.hasFinite = mn <= mx;
    t.min = t.hasFinite ? mn : 0;
    t.max = t.hasFinite ? mx : 0;
    *out = std::move(t);
    return true;
}

} // namespace

bool computeTile(const MatrixSource& source, TileLevel level, int64_t ti, int64_t tj,
                 PooledTile* out, QString* error, const std::atomic<bool>* cancel) {
    return computeTileBanded(source, level, ti, tj, out, error, cancel, 1);
}

TileLevel levelFor(int64_t nRows, int64_t nCols, int pxRows, int pxCols) {
    TileLevel l;
    while (l.fr < nRows && (nRows + l.fr - 1) / l.fr > std::max(pxRows, 1))
        l.fr *= 2;
    while (l.fc < nCols && (nCols + l.fc - 1) / l.fc > std::max(pxCols, 1))
        l.fc *= 2;
    return l;
}

namespace {

struct CellRect {
    int64_t r0, c0, r1, c1; ///< cells [r0, r1) x [c0, c1) of the level
};

CellRect cellsCovering(const MatrixSource& m, TileLevel l, int64_t row0, int64_t col0,
                       int64_t nRows, int64_t nCols) {
    row0 = std::clamp<int64_t>(row0, 0, m.rows());
    col0 = std::clamp<int64_t>(col0, 0, m.cols());
    const int64_t row1 = std::clamp<int64_t>(row0 + std::max<int64_t>(nRows, 0), row0, m.rows());
    const int64_t col1 = std::clamp<int64_t>(col0 + std::max<int64_t>(nCols, 0), col0, m.cols());
    return {row0 / l.fr, col0 / l.fc, (row1 + l.fr - 1) / l.fr, (col1 + l.fc - 1) / l.fc};
}

} // namespace

std::vector<TileIndex> tilesCovering(const MatrixSource& source, TileLevel level, int64_t row0,
                                     int64_t col0, int64_t nRows, int64_t nCols) {
    const CellRect c = cellsCovering(source, level, row0, col0, nRows, nCols);
    std::vector<TileIndex> out;
    if (c.r1 <= c.r0 || c.c1 <= c.c0) return out;
    for (int64_t ti = c.r0 / kTileCells; ti <= (c.r1 - 1) / kTileCells; ++ti)
        for (int64_t tj = c.c0 / kTileCells; tj <= (c.c1 - 1) / kTileCells; ++tj)
            out.push_back({ti, tj});
    return out;
}

namespace {

void setGridGeometry(const MatrixSource& m, TileLevel l, const CellRect& c, PooledGrid* out) {
    out->values.resize(Eigen::Index(c.r1 - c.r0), Eigen::Index(c.c1 - c.c0));
    out->rowStart = c.r0 * l.fr;
    out->colStart = c.c0 * l.fc;
    out->rowCount = (c.r1 - c.r0) * l.fr;
    out->colCount = (c.c1 - c.c0) * l.fc;
    out->exact = l.fr == 1 && l.fc == 1;
    (void)m;
}

} // namespace

bool composeGrid(const MatrixSource& source, TileLevel level, int64_t row0, int64_t col0,
                 int64_t nRows, int64_t nCols, PooledGrid* out, std::vector<TileIndex>* missing,
                 std::pair<double, double>* rangeOut) {
    const QString key = source.cacheKey();
    const std::vector<TileIndex> need = tilesCovering(source, level, row0, col0, nRows, nCols);
    std::vector<std::shared_ptr<const PooledTile>> tiles;
    if (missing) missing->clear();
    for (const TileIndex& t : need) {
        auto tile = TileCache::instance().find(key, level, t.ti, t.tj);
        if (!tile) {
            if (!missing) return false;
            missing->push_back(t);
        }
        tiles.push_back(std::move(tile));
    }
    if (missing && !missing->empty()) return false;
    const CellRect c = cellsCovering(source, level, row0, col0, nRows, nCols);
    PooledGrid g;
    setGridGeometry(source, level, c, &g);
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (size_t k = 0; k < need.size(); ++k) {
        const PooledTile& t = *tiles[k];
        if (t.hasFinite) {
            lo = std::min(lo, t.min);
            hi = std::max(hi, t.max);
        }
        const int64_t tr0 = need[k].ti * kTileCells, tc0 = need[k].tj * kTileCells;
        for (int i = 0; i < t.rows; ++i) {
            const int64_t r = tr0 + i;
            if (r < c.r0 || r >= c.r1) continue;
            for (int j = 0; j < t.cols; ++j) {
                const int64_t col = tc0 + j;
                if (col < c.c0 || col >= c.c1) continue;
                g.values(Eigen::Index(r - c.r0), Eigen::Index(col - c.c0)) =
                    t.values[size_t(i) * size_t(t.cols) + size_t(j)];
            }
        }
    }
    if (rangeOut) *rangeOut = lo <= hi ? std::make_pair(lo, hi) : std::make_pair(0.0, 0.0);
    *out = std::move(g);
    return true;
}

bool fillTiles(const MatrixSource& source, TileLevel level, const std::vector<TileIndex>& tiles,
               QString* error, const std::atomic<bool>* cancel) {
    const QString key = source.cacheKey();
    const int cores = threadsFor(int64_t(1) << 30);
    const int64_t n = int64_t(tiles.size());
    // Whole tiles per thread while they share out evenly; the rest one at a time, each
    // split in bands of rows between the cores.
    const int64_t whole = n >= 2 * cores ? n - n % cores : 0;
    const auto compute = [&](int64_t k, int threads, QString* err) {
        auto tile = std::make_shared<PooledTile>();
        if (!computeTileBanded(source, level, tiles[size_t(k)].ti, tiles[size_t(k)].tj, tile.get(),
                               err, cancel, threads))
            return false;
        TileCache::instance().insert(key, level, tiles[size_t(k)].ti, tiles[size_t(k)].tj,
                                     std::move(tile));
        return true;
    };
    if (whole > 0 && !runParts(
                         whole, cores,
                         [&](int, int64_t first, int64_t end, QString* err) {
                             for (int64_t k = first; k < end; ++k)
                                 if (!compute(k, 1, err)) return false;
                             return true;
                         },
                         error))
        return false;
    for (int64_t k = whole; k < n; ++k)
        if (!compute(k, cores, error)) return false;
    return true;
}

bool previewGrid(const MatrixSource& source, TileLevel level, int64_t row0, int64_t col0,
                 int64_t nRows, int64_t nCols, PooledGrid* out, QString* error) {
    const CellRect c = cellsCovering(source, level, row0, col0, nRows, nCols);
    PooledGrid g;
    setGridGeometry(source, level, c, &g);
    const int64_t col0e = c.c0 * level.fc;
    const int64_t col1e = std::min(source.cols(), c.c1 * level.fc);
    // Rows in parallel: from a server each row is a request, and the time is latency
    // (4 at once, as many as an HTTP source runs per file); locally, a few cores.
    const int64_t n = c.r1 - c.r0;
    const int threads =
        source.remoteBytes() > 0 ? int(std::min<int64_t>(n, 4)) : threadsFor(n * (col1e - col0e));
    const auto work = [&](int, int64_t begin, int64_t end, QString* err) {
        for (int64_t r = c.r0 + begin; r < c.r0 + end; ++r) {
            PooledGrid row;
            if (!source.pool(r * level.fr, col0e, 1, col1e - col0e, 1, int(c.c1 - c.c0), &row, err))
                return false;
            for (int64_t j = 0; j < c.c1 - c.c0; ++j)
                g.values(Eigen::Index(r - c.r0), Eigen::Index(j)) =
                    j < row.values.cols() ? row.values(0, Eigen::Index(j)) : 0.0f;
        }
        return true;
    };
    if (!runParts(n, std::max(1, threads), work, error)) return false;
    *out = std::move(g);
    return true;
}

struct TileCache::Impl {
    struct Entry {
        QString key;
        TileLevel level;
        int64_t ti, tj;
        std::shared_ptr<const PooledTile> tile;
    };
    using List = std::list<Entry>;
    mutable std::mutex mutex;
    List lru; ///< most recently used first
    QHash<QString, List::iterator> index;
    int64_t budget = int64_t(256) << 20;
    int64_t bytes = 0;

    static QString id(const QString& key, TileLevel l, int64_t ti, int64_t tj) {
        return QStringLiteral("%1|%2|%3|%4|%5").arg(key).arg(l.fr).arg(l.fc).arg(ti).arg(tj);
    }
    void erase(List::iterator it) {
        bytes -= it->tile->bytes();
        index.remove(id(it->key, it->level, it->ti, it->tj));
        lru.erase(it);
    }
    void trim() {
        while (bytes > budget && !lru.empty())
            erase(std::prev(lru.end()));
    }
};

TileCache::TileCache() : d(new Impl) {}
TileCache::~TileCache() = default;

TileCache& TileCache::instance() {
    static TileCache cache;
    return cache;
}

void TileCache::setBudget(int64_t bytes) {
    std::lock_guard<std::mutex> lock(d->mutex);
    d->budget = std::max<int64_t>(bytes, 0);
    d->trim();
}

int64_t TileCache::budget() const {
    std::lock_guard<std::mutex> lock(d->mutex);
    return d->budget;
}

int64_t TileCache::bytes() const {
    std::lock_guard<std::mutex> lock(d->mutex);
    return d->bytes;
}

std::shared_ptr<const PooledTile> TileCache::find(const QString& key, TileLevel level, int64_t ti,
                                                  int64_t tj) {
    if (key.isEmpty()) return nullptr;
    std::lock_guard<std::mutex> lock(d->mutex);
    auto it = d->index.find(Impl::id(key, level, ti, tj));
    if (it == d->index.end()) return nullptr;
    d->lru.splice(d->lru.begin(), d->lru, it.value());
    return it.value()->tile;
}

void TileCache::insert(const QString& key, TileLevel level, int64_t ti, int64_t tj,
                       std::shared_ptr<const PooledTile> tile) {
    if (key.isEmpty() || !tile) return;
    std::lock_guard<std::mutex> lock(d->mutex);
    const QString id = Impl::id(key, level, ti, tj);
    if (auto it = d->index.find(id); it != d->index.end()) d->erase(it.value());
    d->lru.push_front({key, level, ti, tj, std::move(tile)});
    d->index.insert(id, d->lru.begin());
    d->bytes += d->lru.front().tile->bytes();
    d->trim();
}

void TileCache::invalidate(const QString& key, int64_t row0, int64_t col0, int64_t nRows,
                           int64_t nCols) {
    std::lock_guard<std::mutex> lock(d->mutex);
    for (auto it = d->lru.begin(); it != d->lru.end();) {
        auto next = std::next(it);
        if (it->key == key) {
            const PooledTile& t = *it->tile;
            const int64_t r1 = t.row0 + int64_t(t.rows) * t.fr,
                          c1 = t.col0 + int64_t(t.cols) * t.fc;
            if (t.row0 < row0 + nRows && row0 < r1 && t.col0 < col0 + nCols && col0 < c1)
                d->erase(it);
        }
        it = next;
    }
}

void TileCache::invalidatePrefix(const QString& prefix, const QString& except) {
    std::lock_guard<std::mutex> lock(d->mutex);
    for (auto it = d->lru.begin(); it != d->lru.end();) {
        auto next = std::next(it);
        if (it->key.startsWith(prefix) && it->key != except) d->erase(it);
        it = next;
    }
}

void TileCache::clear() {
    std::lock_guard<std::mutex> lock(d->mutex);
    d->lru.clear();
    d->index.clear();
    d->bytes = 0;
}

} // namespace ws
