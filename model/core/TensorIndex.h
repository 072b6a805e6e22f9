// PyTorch index lists ("0:5, :, -1"): parsed once, then resolved against a
// tensor's shape with Python's rules. Shared by slicing and the edit language.
#pragma once

#include "Region.h"

#include <QString>
#include <QStringList>
#include <vector>

namespace ws {

/// One index of an expression: a single position or a slice with optional ends.
struct IndexItem {
    bool isSlice = false;
    bool hasStart = false, hasStop = false;
    int64_t start = 0, stop = 0; ///< as written (may be negative)
};

/// Parses a PyTorch index list "0:5, :, -1" (without brackets).
bool parseIndexList(const QString& text, std::vector<IndexItem>* out, QString* error);
/// Resolves \a index against \a t's shape with Python's rules (negative indices
/// count from the end, slices clamp, single indices must be in range).
bool resolveIndex(const std::vector<IndexItem>& index, const Tensor& t, Region* out,
                  QString* error);

/// Each box of \a r as a PyTorch index of \a t: "[0:5, :]", "[3, 7]", "[:, 2:4]";
/// "" for a box that is the whole tensor.
QStringList regionIndexTexts(const Tensor& t, const Region& r);

} // namespace ws
