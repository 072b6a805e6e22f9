// What a walk of an HDF5 file found, as the isolated helper (weightscope-hdf5)
// reports it to the format: numeric datasets, entries that are not tensors, and
// the string attributes Keras keeps its layer lists and names in. Compiled into
// both the helper and the format library; the two talk JSON (hdf5ScanToJson).
#pragma once

#include "DType.h"

#include <QByteArray>
#include <QHash>
#include <QMap>
#include <QString>
#include <QStringList>
#include <vector>

namespace ws {

/// One numeric dataset of an HDF5 file.
struct Hdf5Dataset {
    QString path; ///< without the leading slash: "model_weights/dense/dense/kernel:0"
    DType dtype = DType::Float32;
    std::vector<int64_t> shape;
    /// Where the elements lie in the HDF5 file exactly as a Tensor holds them
    /// (contiguous, allocated, native little-endian type), or -1 (read through the
    /// helper). Relative to the start of the HDF5 file (inside a .keras archive too).
    qint64 rawOffset = -1;
    /// Bytes of one chunk as stored uncompressed, 0 when the dataset is not chunked:
    /// what the helper needs beyond its base memory to read or write it.
    qint64 chunkBytes = 0;
    /// Why the values cannot be read ("filter 40000 'x' is not available"), else empty.
    QString problem;
    bool inputMajor = false; ///< set by the Keras layout, not sent by the helper
};

/// Everything a walk of an HDF5 file found, in walk order.
struct Hdf5Scan {
    std::vector<Hdf5Dataset> datasets;
    QStringList otherEntries; ///< "path: reason" for objects that are not tensors
    /// String attributes by group path ("" is the root): the root's string attributes
    /// (all of them), and of other groups those Keras reads: `layer_names`,
    /// `weight_names` (split `name0`, `name1`, ... joined) and a `vars` group's `name`.
    QHash<QString, QMap<QString, QStringList>> attributes;
    /// Paths of the groups named `vars` ("vars" for the root's, "layers/dense/vars"),
    /// in walk order, weightless layers included.
    QStringList varsGroups;
};

/// The JSON document the helper prints for \a scan.
QByteArray hdf5ScanToJson(const Hdf5Scan& scan);
/// Parses what hdf5ScanToJson wrote; false with \a problem when it is not that.
bool hdf5ScanFromJson(const QByteArray& json, Hdf5Scan* scan, QString* problem);

/// Largest element count of one dataset (Tensor.h's kMaxElements; the helper does not
/// include Tensor.h).
constexpr int64_t kHdf5MaxElements = int64_t(1) << 40;

/// Largest decompressed size we read for one chunked dataset, given the file size.
qint64 hdf5ChunkedLimit(qint64 fileSize);

/// Exit codes of the helper besides 0 (success).
enum Hdf5HelperExit {
    kHdf5HelperFailed = 1,      ///< a message on stderr says what failed
    kHdf5HelperUsage = 2,       ///< bad arguments
    kHdf5HelperOutOfMemory = 3, ///< its memory limit was reached
};

/// Rows of a dataset read or written in one piece are at most this many bytes
/// (more when one chunk row is bigger): the helper streams big datasets in slabs.
constexpr qint64 kHdf5SlabBytes = qint64(32) << 20;

} // namespace ws
