// Region construction (including splitting a 2-D-view rectangle of an N-D
// tensor into boxes) and iteration over the storage elements it covers.
#include "Region.h"

#include <algorithm>

namespace ws {

int64_t Box::numel() const {
    int64_t n = 1;
    for (int64_t s : size)
        n *= std::max<int64_t>(s, 0);
    return n;
}

Region Region::whole(const Tensor& t) {
    Region r;
    Box b;
    b.start.assign(t.shape.size(), 0);
    b.size = t.shape;
    r.m_boxes.push_back(b);
    return r;
}

namespace {

// Splits the linear range [a, b) over dims (C order) into boxes, each
// prefixed with the fixed leading coordinates in \a prefix.
void splitRange(const std::vector<int64_t>& dims, int64_t a, int64_t b,
                const std::vector<int64_t>& prefixStart, const std::vector<int64_t>& prefixSize,
                std::vector<Box>* out) {
    if (a >= b) return;
    if (dims.empty()) {
        out->push_back({prefixStart, prefixSize});
        return;
    }
    int64_t inner = 1; // elements per step of the first dim
    for (size_t i = 1; i < dims.size(); ++i)
        inner *= dims[i];
    const std::vector<int64_t> rest(dims.begin() + 1, dims.end());
    auto withFirst = [&](int64_t start, int64_t size) {
        auto s = prefixStart;
        auto z = prefixSize;
        s.push_back(start);
        z.push_back(size);
        return std::make_pair(s, z);
    };
    const int64_t i0 = a / inner, i1 = (b - 1) / inner;
    if (i0 == i1) { // within one slice of the first dim
        auto [s, z] = withFirst(i0, 1);
        splitRange(rest, a - i0 * inner, b - i0 * inner, s, z, out);
        return;
    }
    int64_t fullBegin = i0, fullEnd = i1 + 1;
    if (a % inner != 0) { // partial head
        auto [s, z] = withFirst(i0, 1);
        splitRange(rest, a - i0 * inner, inner, s, z, out);
        fullBegin = i0 + 1;
    }
    const bool tailPartial = b % inner != 0;
    if (tailPartial) fullEnd = i1;
    if (fullEnd > fullBegin) {
        auto [s, z] = withFirst(fullBegin, fullEnd - fullBegin);
        for (int64_t d : rest) {
            s.push_back(0);
            z.push_back(d);
        }
        out->push_back({s, z});
    }
    if (tailPartial) {
        auto [s, z] = withFirst(i1, 1);
        splitRange(rest, 0, b - i1 * inner, s, z, out);
    }
}

} // namespace

Region Region::rect2d(const Tensor& t, int64_t row0, int64_t col0, int64_t nRows, int64_t nCols) {
    Region r;
    const int64_t R = t.rows(), C = t.cols();
    row0 = std::clamp<int64_t>(row0, 0, R);
    col0 = std::clamp<int64_t>(col0, 0, C);
    nRows = std::clamp<int64_t>(nRows, 0, R - row0);
    nCols = std::clamp<int64_t>(nCols, 0, C - col0);
    if (nRows == 0 || nCols == 0) return r;
    if (t.rank() == 0) {
        r.m_boxes.push_back({});
    } else if (t.rank() == 1) {
        r.m_boxes.push_back({{col0}, {nCols}});
    } else if (t.rank() == 2) {
        r.m_boxes.push_back({{row0, col0}, {nRows, nCols}});
    } else {
        const std::vector<int64_t> rest(t.shape.begin() + 1, t.shape.end());
        if (col0 == 0 && nCols == C) {
            Box b{{row0}, {nRows}};
            for (int64_t d : rest) {
                b.start.push_back(0);
                b.size.push_back(d);
            }
            r.m_boxes.push_back(b);
        } else {
            for (int64_t row = row0; row < row0 + nRows; ++row)
                splitRange(rest, col0, col0 + nCols, {row}, {1}, &r.m_boxes);
        }
    }
    return r;
}

int64_t Region::numel() const {
    int64_t n = 0;
    for (const Box& b : m_boxes)
        n += b.numel();
    return n;
}

void Region::bounds2d(const Tensor& t, int64_t* row0, int64_t* col0, int64_t* nRows,
                      int64_t* nCols) const {
    int64_t r0 = INT64_MAX, c0 = INT64_MAX, r1 = -1, c1 = -1;
    const int64_t C = t.cols();
    for (const Box& b : m_boxes) {
        if (b.numel() == 0) continue;
        int64_t br0 = 0, br1 = 1, bc0 = 0, bc1 = 1;
        if (t.rank() == 1) {
            bc0 = b.start[0];
            bc1 = b.start[0] + b.size[0];
        } else if (t.rank() >= 2) {
            br0 = b.start[0];
            br1 = b.start[0] + b.size[0];
            // first and last flat column within the rest dims
            int64_t first = 0, last = 0;
            for (size_t d = 1; d < b.start.size(); ++d) {
                first = first * t.shape[d] + b.start[d];
                last = last * t.shape[d] + b.start[d] + b.size[d] - 1;
            }
            bc0 = first;
            bc1 = std::min(last + 1, C);
        }
        r0 = std::min(r0, br0);
        r1 = std::max(r1, br1);
        c0 = std::min(c0, bc0);
        c1 = std::max(c1, bc1);
    }
    if (r1 < 0) {
        *row0 = *col0 = *nRows = *nCols = 0;
        return;
    }
    *row0 = r0;
    *col0 = c0;
    *nRows = r1 - r0;
    *nCols = c1 - c0;
}

bool Region::fitsIn(const Tensor& t) const {
    for (const Box& b : m_boxes) {
        if (b.start.size() != t.shape.size() || b.size.size() != t.shape.size()) return false;
        for (size_t d = 0; d < b.start.size(); ++d)
            if (b.start[d] < 0 || b.size[d] < 0 || b.start[d] + b.size[d] > t.shape[d])
                return false;
    }
    return true;
}

} // namespace ws
