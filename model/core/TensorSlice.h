// Tensor names with a trailing PyTorch index, "conv.weight[:, :, 1, 2]", resolved
// to views that share the tensor's storage, as PyTorch's basic indexing does.
#pragma once

#include "TensorIndex.h"
#include "WeightFile.h"

#include <QString>
#include <vector>

namespace ws {

/// Splits \a text into a tensor name and a trailing "[...]" index list. Names may
/// contain '.', '/', ':' and even '['; only a final bracketed group is an index.
/// \a indexed is false (and \a index empty) when \a text has no trailing "]".
bool splitIndexedName(const QString& text, QString* name, std::vector<IndexItem>* index,
                      bool* indexed, QString* error);

/// A view of \a t selected by \a index with Python's rules: an integer drops its
/// dimension, a slice keeps it (ends clamp, negative values count from the end);
/// trailing dimensions not indexed are kept whole. The view shares \a t's storage
/// (adjusted offset, shape and strides) and is named \a name. Null with \a error
/// when an index is out of range or there are more indices than dimensions.
TensorPtr sliceTensor(const Tensor& t, const std::vector<IndexItem>& index, const QString& name,
                      QString* error);

/// The tensor \a text names in \a file: the exact name first, else "name[index]"
/// as a view. Null with \a error ("no tensor named ...", or the index problem).
TensorPtr findTensorOrSlice(const WeightFile& file, const QString& text, QString* error);

} // namespace ws
