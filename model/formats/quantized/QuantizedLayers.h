// Quantized checkpoints shown as one logical weight per layer: GPTQ, AWQ, block- or
// channel-scaled FP8 (DeepSeek-V3, Qwen3, fbgemm), compressed-tensors (pack-quantized,
// float/naive-quantized, NVFP4, MXFP4). The registry calls addLogicalTensors() after
// a safetensors or PyTorch reader returns; the stored tensors stay as they are.
#pragma once

#include "WeightFile.h"

#include <QLatin1String>
#include <QString>

namespace ws {

/// Appended to `<layer>.weight` for the logical tensor when the file already has a
/// tensor of that name (FP8 checkpoints store their codes as `<layer>.weight`).
inline const QLatin1String kDequantizedSuffix(":dequantized");

/// Adds to \a file one derived tensor (Tensor::derived) per quantized layer, found
/// from the quantization config beside the model in \a folder (config.json,
/// quantize_config.json, quant_config.json) or, without one, from the names and
/// shapes of the stored tensors. Each is named `<layer>.weight` (plus
/// kDequantizedSuffix when that name is taken), shaped [out, in], float32, and
/// decoded by its encoding from the layer's stored tensors, whose names its
/// encoding's sources() lists. A layer that cannot be decoded (a config or tensors
/// that contradict each other) gets a derived tensor whose Tensor::problem says why.
/// The new tensors follow the file's own.
void addLogicalTensors(WeightFile& file, const QString& folder);

} // namespace ws
