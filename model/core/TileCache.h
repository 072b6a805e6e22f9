// Pooled tiles of large matrices, computed once and kept in a bounded LRU cache:
// the heatmap asks for the rectangle and zoom level it shows and composes its
// picture from 256 x 256-cell tiles, so panning and zooming decode only what
// becomes visible, and coming back to a view decodes nothing.
#pragma once

#include "MatrixSource.h"

#include <QString>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace ws {

/// Cells per tile side.
constexpr int kTileCells = 256;

/// One tile of a zoom level: cell (i, j) holds the value of largest magnitude (NaN
/// wins) of matrix rows [row0 + i*fr, row0 + (i+1)*fr) x columns [col0 + j*fc, ...),
/// clipped to the matrix.
struct PooledTile {
    int64_t row0 = 0, col0 = 0; ///< the matrix element of cell (0, 0)'s corner
    int64_t fr = 1, fc = 1;     ///< rows and columns pooled into one cell
    int rows = 0, cols = 0;     ///< cells (fewer at the matrix's right and bottom edge)
    std::vector<float> values;  ///< rows x cols, row-major
    bool hasFinite = false;     ///< whether the covered elements hold a finite value
    double min = 0, max = 0;    ///< their finite minimum and maximum
    int64_t bytes() const { return int64_t(values.size() * sizeof(float)) + 96; }
};

/// A zoom level: pooling factors, powers of two.
struct TileLevel {
    int64_t fr = 1, fc = 1;
    bool operator==(const TileLevel& o) const { return fr == o.fr && fc == o.fc; }
};

/// Computes tile (\a ti, \a tj) of level \a level of \a source. False with \a error
/// when the source cannot be read, or when \a cancel becomes true.
bool computeTile(const MatrixSource& source, TileLevel level, int64_t ti, int64_t tj,
                 PooledTile* out, QString* error, const std::atomic<bool>* cancel = nullptr);

/// A tile's position in its level.
struct TileIndex {
    int64_t ti = 0, tj = 0;
};

/// The level that shows \a nRows x \a nCols matrix elements on about \a pxRows x
/// \a pxCols pixels: the smallest power-of-two pooling with at most one cell per pixel
/// (1 when every element gets a pixel or more).
TileLevel levelFor(int64_t nRows, int64_t nCols, int pxRows, int pxCols);
/// The tiles of \a level that cover the rectangle (clipped to the matrix).
std::vector<TileIndex> tilesCovering(const MatrixSource& source, TileLevel level, int64_t row0,
                                     int64_t col0, int64_t nRows, int64_t nCols);
/// The grid of \a level's cells over the rectangle (whole cells: it may reach up to
/// one cell beyond it), composed from cached tiles of \a source. False, with the
/// tiles not cached in \a missing, when some are not; \a out is then untouched.
/// \a rangeOut, when given, receives the finite min/max of the tiles used.
bool composeGrid(const MatrixSource& source, TileLevel level, int64_t row0, int64_t col0,
                 int64_t nRows, int64_t nCols, PooledGrid* out, std::vector<TileIndex>* missing,
                 std::pair<double, double>* rangeOut = nullptr);
/// Computes \a tiles of \a level (a few threads) and caches them. False with \a error
/// when the source cannot be read or \a cancel becomes true.
bool fillTiles(const MatrixSource& source, TileLevel level, const std::vector<TileIndex>& tiles,
               QString* error, const std::atomic<bool>* cancel = nullptr);
/// A fast approximation of composeGrid for a first paint: each cell pools the
/// columns of its block in the block's first row only (reads one row in fr).
bool previewGrid(const MatrixSource& source, TileLevel level, int64_t row0, int64_t col0,
                 int64_t nRows, int64_t nCols, PooledGrid* out, QString* error);

/// The process's tile cache, bounded by a memory budget (Preferences, default 256 MB).
/// Thread-safe. Tiles are keyed by the source's cache key, the level and the index.
class TileCache {
public:
    static TileCache& instance();
    void setBudget(int64_t bytes);
    int64_t budget() const;
    /// Bytes the cached tiles hold.
    int64_t bytes() const;
    std::shared_ptr<const PooledTile> find(const QString& key, TileLevel level, int64_t ti,
                                           int64_t tj);
    void insert(const QString& key, TileLevel level, int64_t ti, int64_t tj,
                std::shared_ptr<const PooledTile> tile);
    /// Drops the tiles of \a key whose cells cover an element of the rectangle.
    void invalidate(const QString& key, int64_t row0, int64_t col0, int64_t nRows, int64_t nCols);
    /// Drops every tile of every key that starts with \a prefix, but those of \a except.
    void invalidatePrefix(const QString& prefix, const QString& except = QString());
    void clear();

    TileCache();
    ~TileCache();

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace ws
