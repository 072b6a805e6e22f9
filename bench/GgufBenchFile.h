// The GGUF benchmark's file half: writing a ~500 MB llama-shaped GGUF, and timing
// the first paint of its 4096 x 14336 Q4_K tensor and a one-cell edit + save.
#pragma once

#include <QString>

namespace wsbench {

/// The tensor whose heatmap and edit are timed: 4096 rows x 14336 columns of q4_K.
inline const char* const kPaintTensor = "blk.0.ffn_down.weight";

/// Writes the benchmark GGUF to \a path; 0 on success.
int makeBenchGguf(const QString& path);
/// Times opening \a path, the first paint of kPaintTensor and a one-cell edit + in-place
/// save (next to cp of the file); 0 on success.
int benchGgufFile(const QString& path);

} // namespace wsbench
