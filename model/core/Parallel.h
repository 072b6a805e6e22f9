// Splitting a loop over a few threads (std::thread: QtConcurrent is a module the
// model library does not otherwise need), and large buffers that fill fast.
#pragma once

#include <QString>
#include <cstdint>
#include <functional>

namespace ws {

/// Threads worth using for a pass over \a elements items (1 below a couple of million).
int threadsFor(int64_t elements);

/// Runs work(part, begin, end, error) over [0, n) in up to \a threads parts, the
/// first on the calling thread; a part whose thread cannot start runs inline.
/// False with the first failing part's error.
bool runParts(int64_t n, int threads,
              const std::function<bool(int, int64_t, int64_t, QString*)>& work, QString* error);

/// Asks for transparent huge pages on the 2 MB-aligned part of a large buffer not yet
/// written (Linux with THP in "madvise" mode: filling 154 MB then takes a few hundred
/// page faults instead of 38,000, 76 -> 16 ms). Harmless where unsupported.
void adviseHugePages(void* buffer, int64_t bytes);

} // namespace ws
