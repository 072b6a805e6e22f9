// A region of a tensor: a union of boxes in the tensor's own N-D coordinates,
// what an edit changes and what its undo clones.
#pragma once

#include "Tensor.h"

#include <vector>

namespace ws {

/// A box: for each dimension a start and a size (logical coordinates).
struct Box {
    std::vector<int64_t> start;
    std::vector<int64_t> size;
    int64_t numel() const;
    bool operator==(const Box& o) const { return start == o.start && size == o.size; }
};

/// A union of boxes; element order is box by box, each in C order.
class Region {
public:
    /// Every element of \a t.
    static Region whole(const Tensor& t);
    /// A rectangle of the tensor's 2-D view (rows x cols, see Tensor::rows/cols),
    /// clipped to it. For rank > 2 the column range is split into boxes.
    static Region rect2d(const Tensor& t, int64_t row0, int64_t col0, int64_t nRows, int64_t nCols);
    /// One element of the 2-D view.
    static Region cell2d(const Tensor& t, int64_t row, int64_t col) {
        return rect2d(t, row, col, 1, 1);
    }

    const std::vector<Box>& boxes() const { return m_boxes; }
    void addBox(Box b) { m_boxes.push_back(std::move(b)); }
    bool isEmpty() const { return numel() == 0; }
    int64_t numel() const;
    /// Bounding rectangle in the 2-D view: row0, col0, rows, cols.
    void bounds2d(const Tensor& t, int64_t* row0, int64_t* col0, int64_t* nRows,
                  int64_t* nCols) const;
    /// True when every box lies inside \a t's shape.
    bool fitsIn(const Tensor& t) const;
    /// Calls \a f(firstStorageIndex, count, stride) for every run of elements along
    /// the innermost dimension, box by box in C order.
    template <typename F> void forEachRun(const Tensor& t, F f) const;
    bool operator==(const Region& o) const { return m_boxes == o.m_boxes; }

private:
    std::vector<Box> m_boxes;
};

template <typename F> void Region::forEachRun(const Tensor& t, F f) const {
    for (const Box& b : m_boxes) {
        const size_t r = b.size.size();
        if (b.numel() == 0) continue;
        int64_t base = t.storageOffset;
        for (size_t d = 0; d < r; ++d)
            base += b.start[d] * t.strides[d];
        if (r == 0) {
            f(base, int64_t(1), int64_t(1));
            continue;
        }
        std::vector<int64_t> idx(r, 0);
        const int64_t inner = b.size[r - 1], innerStride = t.strides[r - 1];
        int64_t pos = base;
        while (true) {
            f(pos, inner, innerStride);
            int d = int(r) - 2;
            for (; d >= 0; --d) {
                const size_t du = size_t(d);
                ++idx[du];
                pos += t.strides[du];
                if (idx[du] < b.size[du]) break;
                pos -= idx[du] * t.strides[du];
                idx[du] = 0;
            }
            if (d < 0) break;
        }
    }
}

} // namespace ws
