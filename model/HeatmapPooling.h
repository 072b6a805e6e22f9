// Reduces a region of a large matrix to at most a given grid size for drawing,
// keeping in each block the value of largest magnitude so outliers stay visible.
#pragma once

#include "Tensor.h"

namespace ws {

/// A pooled grid: cell (r, c) covers matrix rows [rowStart + r*rowStep, ...) etc.
struct PooledGrid {
    MatrixF values; ///< outRows x outCols
    int64_t rowStart = 0, colStart = 0;
    int64_t rowCount = 0, colCount = 0; ///< matrix rows/cols covered
    bool exact = false;                 ///< true when every cell is one matrix element
};

/// Pools rows [row0, row0+nRows) x cols [col0, col0+nCols) of \a m into at most
/// maxRows x maxCols cells, each the element of largest |value| in its block
/// (NaN wins so that it is seen). The region is clipped to the matrix.
PooledGrid poolMaxMagnitude(const MatrixF& m, int64_t row0, int64_t col0, int64_t nRows,
                            int64_t nCols, int maxRows, int maxCols);

} // namespace ws
