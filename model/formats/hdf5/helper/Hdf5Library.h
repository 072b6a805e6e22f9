// Thin access to the HDF5 C library inside the helper process (one thread, so no
// lock): handles that close themselves, HDF5 errors turned into messages, and the
// mapping between HDF5 datatypes and our element types.
#pragma once

#include "DType.h"

#include <QString>
#include <QStringList>
#include <hdf5.h>
#include <optional>
#include <vector>

namespace ws::hdf5 {

/// Owns an HDF5 identifier and closes it with the matching H5?close.
class Handle {
public:
    Handle() = default;
    explicit Handle(hid_t id) : m_id(id) {}
    Handle(Handle&& o) noexcept : m_id(o.m_id) { o.m_id = -1; }
    Handle& operator=(Handle&& o) noexcept;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { reset(); }
    hid_t id() const { return m_id; }
    bool valid() const { return m_id >= 0; }
    void reset(hid_t id = -1);
    /// Gives up ownership without closing.
    hid_t release() {
        const hid_t id = m_id;
        m_id = -1;
        return id;
    }

private:
    hid_t m_id = -1;
};

/// The messages of HDF5's error stack (outermost and innermost), then clears it.
/// Sets outOfMemory() when the stack reports a failed allocation.
QString takeError();
/// True once an HDF5 error reported that memory could not be allocated (the
/// helper's address-space limit was reached).
bool outOfMemory();

/// Opens \a path read-only (or read-write); with \a rangeSize >= 0, only the \a rangeSize
/// bytes at \a rangeOffset (read-only). False with \a error ("not a readable HDF5 file").
Handle openFile(const QString& path, bool writable, QString* error, qint64 rangeOffset = 0,
                qint64 rangeSize = -1);

/// How a dataset's elements map to ours.
struct ElementType {
    DType dtype = DType::Float32;
    Handle memType; ///< native little-endian memory type to read and write with
};

/// Our element type for the file datatype \a type of \a object (a dataset, or -1), or
/// nullopt with \a reason ("string", "compound", "unsupported 24-bit float", ...).
/// A 2-byte opaque type is bfloat16 when \a object has the attribute dtype="bfloat16"
/// (as Keras 3 writes it); its memory type is then the opaque type itself.
std::optional<ElementType> elementType(hid_t type, QString* reason, hid_t object = -1);

/// The native memory type for \a t (a fresh copy for 16-bit floats); -1 when none.
Handle memoryType(DType t);

/// Dimensions of dataspace \a space; false with \a reason for null/odd spaces.
bool dimensions(hid_t space, std::vector<int64_t>* dims, QString* reason);

/// Reads attribute \a name of \a obj as strings (fixed- or variable-length,
/// scalar or 1-D). An empty non-string attribute yields an empty list.
/// Returns false when missing or not strings.
bool readStringAttribute(hid_t obj, const char* name, QStringList* out);
/// Like readStringAttribute, and when \a name is missing, joins `name0`, `name1`, ...
/// as Keras splits large attributes.
bool readSplitStringAttribute(hid_t obj, const QString& name, QStringList* out);

/// Members of group \a group in creation order when tracked, else natural name order
/// ("vars/2" before "vars/10"). At most \a limit names.
QStringList memberNames(hid_t group, int limit);

} // namespace ws::hdf5
