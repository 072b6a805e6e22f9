// The GGUF benchmark's file timings: waits for the tile source and encoded edits
// of the core branch (first paint of a q4_K tensor, one-cell edit + in-place save).
#include "GgufBenchFile.h"

#include <cstdio>

namespace wsbench {

int benchGgufFile(const QString&) {
    std::fprintf(stderr, "weightscope_bench_gguf file: not available in this build yet\n");
    return 1;
}

} // namespace wsbench
