#include "Parallel.h"

#include <algorithm>
#include <cstdint>
#include <sys/mman.h>
#include <system_error>
#include <thread>
#include <vector>

namespace ws {

int threadsFor(int64_t elements) {
    if (elements < (int64_t(1) << 21)) return 1;
    return int(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
}

bool runParts(int64_t n, int threads,
              const std::function<bool(int, int64_t, int64_t, QString*)>& work, QString* error) {
    threads = int(std::clamp<int64_t>(threads, 1, std::max<int64_t>(n, 1)));
    std::vector<QString> errors(static_cast<size_t>(threads));
    std::vector<char> ok(static_cast<size_t>(threads), 0);
    std::vector<std::thread> running;
    std::vector<int> inlineParts;
    const auto begin = [&](int k) { return k * n / threads; };
    for (int k = 1; k < threads; ++k) {
        try {
            running.emplace_back(
                [&, k] { ok[size_t(k)] = work(k, begin(k), begin(k + 1), &errors[size_t(k)]); });
        } catch (const std::system_error&) {
            inlineParts.push_back(k);
        }
    }
    ok[0] = work(0, 0, begin(1), &errors[0]);
    for (int k : inlineParts)
        ok[size_t(k)] = work(k, begin(k), begin(k + 1), &errors[size_t(k)]);
    for (auto& t : running)
        t.join();
    for (int k = 0; k < threads; ++k)
        if (!ok[size_t(k)]) {
            if (error) *error = errors[size_t(k)];
            return false;
        }
    return true;
}

void adviseHugePages(void* buffer, int64_t bytes) {
#ifdef MADV_HUGEPAGE
    constexpr uintptr_t kHuge = uintptr_t(2) << 20;
    if (bytes < int64_t(16) << 20) return;
    const uintptr_t at = reinterpret_cast<uintptr_t>(buffer);
    const uintptr_t begin = (at + kHuge - 1) & ~(kHuge - 1);
    const uintptr_t end = (at + uintptr_t(bytes)) & ~(kHuge - 1);
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
    (void)buffer;
    (void)bytes;
#endif
}

} // namespace ws
