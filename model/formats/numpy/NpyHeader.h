// Parsing of the header of a NumPy .npy array: magic, version, and the Python
// dict literal that gives dtype, memory order and shape.
#pragma once

#include "DType.h"

#include <QByteArray>
#include <QString>
#include <cstdint>
#include <vector>

namespace ws {

/// Largest .npy header we accept (numpy itself refuses more than 10000 bytes by default).
constexpr qint64 kNpyMaxHeader = qint64(1) << 20;

/// What the header of one .npy array says.
struct NpyHeader {
    int major = 1, minor = 0;
    qint64 dataOffset = 0; ///< bytes before the data: magic, version, length and the dict
    QString descr;         ///< as written, e.g. "<f4", ">i8", "|b1"
    DType dtype = DType::Float32;
    bool bigEndian = false;
    bool fortranOrder = false;
    std::vector<int64_t> shape; ///< empty for a 0-D array
    int64_t numel = 1;
    /// Bytes of data the shape and dtype need.
    int64_t dataSize() const { return numel * dtypeSize(dtype); }
};

/// True when \a head starts with the .npy magic "\x93NUMPY".
bool hasNpyMagic(const QByteArray& head);

/// Bytes needed to parse the header whose first bytes are \a head (at least 12
/// bytes), or -1 when \a head is not an .npy prefix or claims an absurd length.
qint64 npyHeaderSize(const QByteArray& head, QString* problem);

/// Parses the complete header in \a bytes (more bytes may follow). The shape is
/// checked for overflow but not against a file size. False with \a problem set
/// (without a file name) when the header is malformed or the dtype unsupported; for
/// an unsupported dtype (an object array) \a out still holds descr and shape.
bool parseNpyHeader(const QByteArray& bytes, NpyHeader* out, QString* problem);

/// Parses the dict literal alone, e.g. "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }".
bool parseNpyDict(const QByteArray& text, NpyHeader* out, QString* problem);

/// Reverses the byte order of each element of \a data (\a count elements of \a t);
/// complex numbers swap each of their two halves.
void swapElementBytes(char* data, int64_t count, DType t);

} // namespace ws
