// Max-magnitude pooling of a matrix region down to a drawable grid.
#include "HeatmapPooling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace ws {

PooledGrid poolMaxMagnitude(const MatrixF& m, int64_t row0, int64_t col0, int64_t nRows,
                            int64_t nCols, int maxRows, int maxCols) {
    PooledGrid g;
    const int64_t R = m.rows(), C = m.cols();
    row0 = std::clamp<int64_t>(row0, 0, R);
    col0 = std::clamp<int64_t>(col0, 0, C);
    nRows = std::clamp<int64_t>(nRows, 0, R - row0);
    nCols = std::clamp<int64_t>(nCols, 0, C - col0);
    maxRows = std::max(1, maxRows);
    maxCols = std::max(1, maxCols);
    g.rowStart = row0;
    g.colStart = col0;
    g.rowCount = nRows;
    g.colCount = nCols;
    if (nRows == 0 || nCols == 0) return g;
    const int64_t outR = std::min<int64_t>(nRows, maxRows);
    const int64_t outC = std::min<int64_t>(nCols, maxCols);
    g.exact = outR == nRows && outC == nCols;
    g.values.resize(Eigen::Index(outR), Eigen::Index(outC));
    if (g.exact) {
        g.values = m.block(Eigen::Index(row0), Eigen::Index(col0), Eigen::Index(nRows),
                           Eigen::Index(nCols));
        return g;
    }
    // For each block of rows, keep per column the largest and smallest value and
    // whether a NaN was seen, in contiguous loops the compiler vectorises; then
    // fold the columns into blocks and pick the value of larger magnitude.
    std::vector<int64_t> colEdge(static_cast<size_t>(outC) + 1);
    for (int64_t c = 0; c <= outC; ++c)
        colEdge[size_t(c)] = c * nCols / outC;
    std::vector<float> hi(static_cast<size_t>(nCols)), lo(static_cast<size_t>(nCols));
    std::vector<unsigned char> nan(static_cast<size_t>(nCols));
    const float inf = std::numeric_limits<float>::infinity();
    for (int64_t r = 0; r < outR; ++r) {
        const int64_t rb = row0 + r * nRows / outR, re = row0 + (r + 1) * nRows / outR;
        float* h = hi.data();
        float* l = lo.data();
        unsigned char* n = nan.data();
        std::fill(hi.begin(), hi.end(), -inf);
        std::fill(lo.begin(), lo.end(), inf);
        std::fill(nan.begin(), nan.end(), 0);
        for (int64_t rr = rb; rr < re; ++rr) {
            const float* row = m.data() + rr * C + col0;
            for (int64_t c = 0; c < nCols; ++c) {
                const float v = row[c];
                h[c] = v > h[c] ? v : h[c];
                l[c] = v < l[c] ? v : l[c];
                n[c] |= static_cast<unsigned char>(v != v);
            }
        }
        for (int64_t c = 0; c < outC; ++c) {
            float bh = -inf, bl = inf;
            bool bn = false;
            for (int64_t k = colEdge[size_t(c)]; k < colEdge[size_t(c) + 1]; ++k) {
                bh = std::max(bh, h[k]);
                bl = std::min(bl, l[k]);
                bn = bn || n[k];
            }
            float v = std::fabs(bl) > std::fabs(bh) ? bl : bh;
            if (bn) v = std::numeric_limits<float>::quiet_NaN();
            g.values(Eigen::Index(r), Eigen::Index(c)) = v;
        }
    }
    return g;
}

} // namespace ws
