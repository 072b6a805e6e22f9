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
    // Per output cell keep the largest and the smallest value seen (a loop the
    // compiler vectorises) and whether a NaN was seen; pick by magnitude at the end.
    std::vector<int64_t> colEdge(static_cast<size_t>(outC) + 1);
    for (int64_t c = 0; c <= outC; ++c)
        colEdge[size_t(c)] = col0 + c * nCols / outC;
    std::vector<float> hi(static_cast<size_t>(outC)), lo(static_cast<size_t>(outC));
    std::vector<char> nan(static_cast<size_t>(outC));
    const float inf = std::numeric_limits<float>::infinity();
    for (int64_t r = 0; r < outR; ++r) {
        const int64_t rb = row0 + r * nRows / outR, re = row0 + (r + 1) * nRows / outR;
        std::fill(hi.begin(), hi.end(), -inf);
        std::fill(lo.begin(), lo.end(), inf);
        std::fill(nan.begin(), nan.end(), char(0));
        for (int64_t rr = rb; rr < re; ++rr) {
            const float* row = m.data() + rr * C;
            for (int64_t c = 0; c < outC; ++c) {
                float h = hi[size_t(c)], l = lo[size_t(c)];
                bool n = false;
                for (int64_t cc = colEdge[size_t(c)]; cc < colEdge[size_t(c) + 1]; ++cc) {
                    const float v = row[cc];
                    h = v > h ? v : h;
                    l = v < l ? v : l;
                    n |= v != v;
                }
                hi[size_t(c)] = h;
                lo[size_t(c)] = l;
                nan[size_t(c)] |= char(n);
            }
        }
        for (int64_t c = 0; c < outC; ++c) {
            const size_t k = size_t(c);
            float v = std::fabs(lo[k]) > std::fabs(hi[k]) ? lo[k] : hi[k];
            if (nan[k]) v = std::numeric_limits<float>::quiet_NaN();
            g.values(Eigen::Index(r), Eigen::Index(c)) = v;
        }
    }
    return g;
}

} // namespace ws
