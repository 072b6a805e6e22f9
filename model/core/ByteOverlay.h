// The edits of one storage as disjoint runs of changed bytes over the file's bytes
// (Tiled's PaintTileLayer keeps only the cells it paints; so do we): a one-cell
// edit of a 2 GB tensor holds a few bytes, a column edit one small run per row.
#pragma once

#include "Blob.h"

#include <QString>
#include <cstdint>
#include <map>
#include <memory>

namespace ws {

/// Changed byte ranges of a storage. Not thread-safe: Storage locks around it.
class ByteOverlay {
public:
    /// Sets bytes [offset, offset + n) to \a src. Runs already there are written in
    /// place; the gaps between them become new runs (runs never merge or move, so
    /// row-by-row writes cost linear time).
    bool write(int64_t offset, int64_t n, const char* src, QString* error);
    /// Overwrites the parts of \a dst, which holds bytes [offset, offset + n), that
    /// the overlay changed.
    bool apply(int64_t offset, int64_t n, char* dst, QString* error) const;
    /// True when every byte of [offset, offset + n) is in the overlay.
    bool covers(int64_t offset, int64_t n) const;
    bool isEmpty() const { return m_runs.empty(); }
    /// Bytes held (in memory and in temporary files).
    int64_t bytes() const { return m_bytes; }
    int64_t runCount() const { return int64_t(m_runs.size()); }
    void clear();

private:
    struct Run {
        int64_t length = 0;
        std::unique_ptr<Blob> data;
    };
    /// The first run that ends after \a offset.
    std::map<int64_t, Run>::const_iterator firstEndingAfter(int64_t offset) const;
    std::map<int64_t, Run> m_runs; ///< by start; disjoint
    int64_t m_bytes = 0;
};

} // namespace ws
