// Reads the table of contents of a zip file (central directory, zip64 included)
// and where each record's data starts, without reading the records themselves.
#pragma once

#include <QByteArray>
#include <QString>
#include <cstdint>
#include <vector>

class QIODevice;

namespace ws {

/// One record of a zip archive.
struct ZipEntry {
    QString name;
    qint64 localHeaderOffset = 0;
    qint64 dataOffset = -1; ///< first byte of the (compressed) data in the file
    qint64 compressedSize = 0;
    qint64 uncompressedSize = 0;
    quint32 crc32 = 0;
    quint16 method = 0; ///< 0 stored, 8 deflated
};

/// The entries of one zip file, in central-directory order.
class ZipArchive {
public:
    /// Reads the central directory of the open \a file (a QFile, or a URL through
    /// ByteSourceDevice) and every local header. Returns false with \a error
    /// ("central directory: ...") on malformed input.
    bool open(QIODevice& file, QString* error);
    const std::vector<ZipEntry>& entries() const { return m_entries; }
    /// Index of the entry named exactly \a name, or -1.
    int find(const QString& name) const;
    /// Reads a stored entry's bytes (at most \a maxSize). False with \a error otherwise.
    bool read(QIODevice& file, const ZipEntry& e, qint64 maxSize, QByteArray* out,
              QString* error) const;

private:
    std::vector<ZipEntry> m_entries;
};

} // namespace ws
