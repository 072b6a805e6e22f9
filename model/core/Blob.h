// Bytes that edits keep (changed values, undo snapshots): in memory while the
// process's edit memory stays within its budget, else in a temporary file, so a
// whole-tensor fill of a 2 GB embedding and its undo cost disk, not RAM.
#pragma once

#include <QString>
#include <cstdint>
#include <memory>

namespace ws {

/// The memory all Blobs of the process may hold in RAM (Preferences: "Edit memory").
/// Blobs created beyond it live in temporary files.
class EditMemory {
public:
    static void setBudget(int64_t bytes);
    static int64_t budget();
    /// Bytes Blobs hold in RAM now.
    static int64_t inMemory();
    /// Bytes Blobs hold in temporary files now.
    static int64_t onDisk();
    /// Folder for the temporary files (default: the system's temporary folder).
    static void setSpillFolder(const QString& folder);
    static QString spillFolder();
};

/// A fixed-size run of bytes, in memory or in a temporary file of its own.
class Blob {
public:
    /// \a size bytes, zero-filled; in memory when they fit the budget (or are small).
    /// Null with \a error when a temporary file was needed and could not be made.
    static std::unique_ptr<Blob> create(int64_t size, QString* error);
    ~Blob();
    Blob(const Blob&) = delete;
    Blob& operator=(const Blob&) = delete;

    int64_t size() const { return m_size; }
    bool inMemory() const { return m_memory != nullptr; }
    /// Copies bytes [offset, offset + n) out / in. False with \a error only for a file
    /// that cannot be read or written (disk full).
    bool read(int64_t offset, int64_t n, char* dst, QString* error) const;
    bool write(int64_t offset, int64_t n, const char* src, QString* error);
    /// The bytes when in memory (else null): for loops that work in place.
    char* memory() { return m_memory.get(); }
    const char* memory() const { return m_memory.get(); }

private:
    Blob() = default;
    int64_t m_size = 0;
    std::unique_ptr<char[]> m_memory;
    int m_fd = -1;
};

} // namespace ws
