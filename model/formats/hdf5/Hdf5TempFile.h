// A temporary file beside a save's target that HDF5 (in the helper) writes into,
// synced and renamed over the target only when everything succeeded.
#pragma once

#include <QString>

namespace ws {

/// A temporary file in the target's folder that removes itself unless committed.
class Hdf5TempFile {
public:
    explicit Hdf5TempFile(const QString& target) : m_target(target) {}
    ~Hdf5TempFile();
    Hdf5TempFile(const Hdf5TempFile&) = delete;
    Hdf5TempFile& operator=(const Hdf5TempFile&) = delete;

    /// Creates it: empty, or a copy of \a size bytes at \a offset of \a source (the
    /// whole of it when \a size is -1), with the target's permissions.
    bool create(const QString& source, QString* error, qint64 offset = 0, qint64 size = -1);
    const QString& path() const { return m_path; }
    /// fsyncs the file and renames it over the target.
    bool commit(QString* error);

private:
    QString m_target;
    QString m_path;
    bool m_committed = false;
};

} // namespace ws
