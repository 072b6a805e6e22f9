// Disjoint runs in a std::map by start offset: finding what a range touches is a
// lower_bound and a walk.
#include "ByteOverlay.h"

#include <algorithm>

namespace ws {

std::map<int64_t, ByteOverlay::Run>::const_iterator
ByteOverlay::firstEndingAfter(int64_t offset) const {
    auto it = m_runs.upper_bound(offset);
    if (it != m_runs.begin()) {
        auto prev = std::prev(it);
        if (prev->first + prev->second.length > offset) return prev;
    }
    return it;
}

bool ByteOverlay::write(int64_t offset, int64_t n, const char* src, QString* error) {
    const int64_t end = offset + n;
    int64_t pos = offset;
    auto it = firstEndingAfter(offset);
    while (pos < end) {
        const int64_t runStart = it == m_runs.end() ? end : std::min(it->first, end);
        if (pos < runStart) { // a gap: a new run
            Run run;
            run.length = runStart - pos;
            run.data = Blob::create(run.length, error);
            if (!run.data || !run.data->write(0, run.length, src + (pos - offset), error))
                return false;
            m_bytes += run.length;
            m_runs.emplace(pos, std::move(run));
            pos = runStart;
            continue;
        }
        // inside the run at it
        const int64_t runEnd = it->first + it->second.length;
        const int64_t stop = std::min(runEnd, end);
        if (!it->second.data->write(pos - it->first, stop - pos, src + (pos - offset), error))
            return false;
        pos = stop;
        ++it;
    }
    return true;
}

bool ByteOverlay::apply(int64_t offset, int64_t n, char* dst, QString* error) const {
    const int64_t end = offset + n;
    for (auto it = firstEndingAfter(offset); it != m_runs.end() && it->first < end; ++it) {
        const int64_t a = std::max(offset, it->first);
        const int64_t b = std::min(end, it->first + it->second.length);
        if (!it->second.data->read(a - it->first, b - a, dst + (a - offset), error)) return false;
    }
    return true;
}

bool ByteOverlay::covers(int64_t offset, int64_t n) const {
    const int64_t end = offset + n;
    int64_t pos = offset;
    for (auto it = firstEndingAfter(offset); pos < end; ++it) {
        if (it == m_runs.end() || it->first > pos) return false;
        pos = it->first + it->second.length;
    }
    return true;
}

void ByteOverlay::clear() {
    m_runs.clear();
    m_bytes = 0;
}

} // namespace ws
