// The GGUF benchmark's file: a ~500 MB llama-shaped GGUF whose 4096 x 14336 Q4_K
// tensor run_gguf_benchmark.py paints in the real window and edits in place.
#pragma once

#include <QString>

namespace wsbench {

/// The tensor whose heatmap and edit are timed: 4096 rows x 14336 columns of q4_K.
inline const char* const kPaintTensor = "blk.0.ffn_down.weight";

/// Writes the benchmark GGUF to \a path; 0 on success.
int makeBenchGguf(const QString& path);

} // namespace wsbench
