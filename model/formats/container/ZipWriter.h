// Writes a zip archive the way PyTorch does: stored records (or records copied
// as another archive compressed them), data aligned to 64 bytes with an "FB"
// padding extra field, zip64 end records always, and zip64 extras for records or
// offsets that need them.
#pragma once

#include <QByteArray>
#include <QIODevice>
#include <QString>
#include <functional>
#include <vector>

namespace ws {

/// Streams a zip archive to a device.
class ZipWriter {
public:
    explicit ZipWriter(QIODevice* out) : m_out(out) {}
    /// Writes one record of \a size bytes with checksum \a crc; \a writeData writes
    /// exactly the data. Returns false with \a error on failure.
    bool addRecord(const QString& name, qint64 size, quint32 crc,
                   const std::function<bool(QIODevice*, QString*)>& writeData, QString* error);
    /// Writes one record exactly as another archive holds it: compression \a method
    /// (0 stored, 8 deflated), \a compressedSize bytes of data that \a writeData writes
    /// as they are (nothing is re-deflated), \a uncompressedSize and \a crc of the
    /// uncompressed bytes. Aligned like every record.
    bool addRawRecord(const QString& name, quint16 method, qint64 compressedSize,
                      qint64 uncompressedSize, quint32 crc,
                      const std::function<bool(QIODevice*, QString*)>& writeData, QString* error);
    /// Writes the central directory and end records.
    bool finish(QString* error);

private:
    struct Entry {
        QByteArray name;
        qint64 offset, compressedSize, size;
        quint32 crc;
        quint16 method;
    };
    bool put(const QByteArray& bytes, QString* error);
    QIODevice* m_out;
    qint64 m_pos = 0;
    std::vector<Entry> m_entries;
};

/// CRC-32 (zip's) of \a size bytes, continuing from \a crc.
quint32 crc32Update(quint32 crc, const char* data, qint64 size);

} // namespace ws
