// The tile source between files and views: a MatrixSource reads any rectangle of
// a tensor's 2-D view (from memory, or from its file through edits and encoding)
// in bounded tiles, finds the finite range, and reduces a region to at most a
// given grid keeping in each block the value of largest magnitude, so outliers
// stay visible. Nothing holds a whole tensor as floats.
#pragma once

#include "Tensor.h"

#include <QString>
#include <functional>
#include <memory>
#include <vector>

namespace ws {

/// A pooled grid: cell (r, c) covers matrix rows [rowStart + r*rowStep, ...) etc.
struct PooledGrid {
    MatrixF values; ///< outRows x outCols
    int64_t rowStart = 0, colStart = 0;
    int64_t rowCount = 0, colCount = 0; ///< matrix rows/cols covered
    bool exact = false;                 ///< true when every cell is one matrix element
};

/// A rows x cols float matrix that pooling and range finding read tile by tile.
/// Both passes split large matrices over a few threads; tile() must be thread-safe.
class MatrixSource {
public:
    virtual ~MatrixSource() = default;
    int64_t rows() const { return m_rows; }
    int64_t cols() const { return m_cols; }

    /// Smallest and largest finite value (both 0 when there is none).
    bool finiteMinMax(double* lo, double* hi, QString* error) const;
    /// Pools rows [row0, row0+nRows) x cols [col0, col0+nCols) into at most
    /// maxRows x maxCols cells, each the element of largest |value| in its block
    /// (NaN wins so that it is seen). The region is clipped to the matrix.
    bool pool(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols, int maxRows, int maxCols,
              PooledGrid* out, QString* error) const;

    /// A tile handed to forEachTile(): rows [row0, row0+nRows) x columns [col0,
    /// col0+nCols) of the matrix; element (i, j) of it at data[i * stride + j].
    struct Tile {
        const float* data;
        int64_t row0, nRows, col0, nCols, stride;
    };
    /// Calls \a fn for the region [row0, row0+nRows) x [col0, col0+nCols), clipped to
    /// the matrix, tile by tile on this thread. False with \a error when a tile cannot
    /// be read.
    bool forEachTile(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols,
                     const std::function<void(const Tile&)>& fn, QString* error) const;

    /// Rows [row0, row0+nRows) x columns [col0, col0+nCols): a pointer to the first
    /// element, rows *stride floats apart. \a buffer is scratch space the source may
    /// fill; nullptr and \a error when the values cannot be read.
    virtual const float* tile(int64_t row0, int64_t nRows, int64_t col0, int64_t nCols,
                              std::vector<float>* buffer, int64_t* stride,
                              QString* error) const = 0;
    /// Most floats one tile() should cover (bounds the scratch buffers).
    virtual int64_t tileLimit() const = 0;
    /// Identifies the values for the tile cache: equal keys, equal values (until an
    /// edit invalidates them). Tensor sources start with storageCacheKey().
    virtual QString cacheKey() const = 0;
    /// Bytes a pass over every value fetches over the network (0 for local files and
    /// memory): views ask before such a pass.
    virtual int64_t remoteBytes() const { return 0; }

protected:
    MatrixSource(int64_t rows, int64_t cols) : m_rows(rows), m_cols(cols) {}

private:
    int64_t m_rows, m_cols;
};

/// A source over a matrix in memory (kept alive by the source).
std::shared_ptr<MatrixSource> memorySource(std::shared_ptr<const MatrixF> m);

/// The 2-D view of \a t (rows() x cols(), see Tensor), read tile by tile from its
/// storage as it is now (file plus edits; encoded tensors decoded): any dtype, view
/// or encoding. No copy of the tensor is made.
std::shared_ptr<MatrixSource> tensorSource(TensorPtr t);
/// A rows x cols view whose cell (r, c) is logical element \a flatOf(r, c) of \a t (C
/// order), or NaN where it returns -1 (gaps): slices and kernel mosaics of n-D tensors,
/// read on demand (runs of consecutive elements at once). \a what names the view in the
/// cache key (two views with the same \a what must show the same cells).
std::shared_ptr<MatrixSource> mappedSource(TensorPtr t, int64_t rows, int64_t cols,
                                           std::function<int64_t(int64_t, int64_t)> flatOf,
                                           const QString& what);
/// \a a - \a b, element by element (the same size): the difference view.
std::shared_ptr<MatrixSource> differenceSource(std::shared_ptr<const MatrixSource> a,
                                               std::shared_ptr<const MatrixSource> b);
/// The key of tensorSource(\a t): its storage, view geometry, dtype and encoding.
QString tensorCacheKey(const Tensor& t);
/// The prefix of every key of sources over storage \a s.
QString storageCacheKey(const Storage& s);
/// tensorSource() of a copy of \a t when its bytes can be read now (Tensor::check),
/// else nullptr.
std::shared_ptr<MatrixSource> fileSource(const Tensor& t);

/// poolMaxMagnitude for a matrix in memory; the region is clipped to the matrix.
PooledGrid poolMaxMagnitude(const MatrixF& m, int64_t row0, int64_t col0, int64_t nRows,
                            int64_t nCols, int maxRows, int maxCols);

} // namespace ws
