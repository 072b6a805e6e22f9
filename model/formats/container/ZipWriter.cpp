// Zip writing for PyTorch checkpoints; CRC-32 from zlib.
#include "ZipWriter.h"

#include <QtEndian>
#include <zlib.h>

namespace ws {

namespace {

constexpr qint64 kAlign = 64;
constexpr quint32 k32Max = 0xFFFFFFFFu;

void u16(QByteArray& b, quint16 v) {
    char c[2];
    qToLittleEndian(v, c);
    b.append(c, 2);
}
void u32(QByteArray& b, quint32 v) {
    char c[4];
    qToLittleEndian(v, c);
    b.append(c, 4);
}
void u64(QByteArray& b, quint64 v) {
    char c[8];
    qToLittleEndian(v, c);
    b.append(c, 8);
}

} // namespace

quint32 crc32Update(quint32 crc, const char* data, qint64 size) {
    uLong c = crc;
    while (size > 0) {
        const uInt n = uInt(std::min<qint64>(size, 1 << 30));
        c = ::crc32(c, reinterpret_cast<const Bytef*>(data), n);
        data += n;
        size -= n;
    }
    return quint32(c);
}

bool ZipWriter::put(const QByteArray& bytes, QString* error) {
    if (m_out->write(bytes) != bytes.size()) {
        *error = QStringLiteral("write failed: %1").arg(m_out->errorString());
        return false;
    }
    m_pos += bytes.size();
    return true;
}

bool ZipWriter::addRecord(const QString& name, qint64 size, quint32 crc,
                          const std::function<bool(QIODevice*, QString*)>& writeData,
                          QString* error) {
    return addRawRecord(name, 0, size, size, crc, writeData, error);
}

bool ZipWriter::addRawRecord(const QString& name, quint16 method, qint64 compressedSize,
                             qint64 uncompressedSize, quint32 crc,
                             const std::function<bool(QIODevice*, QString*)>& writeData,
                             QString* error) {
    const QByteArray n = name.toUtf8();
    const qint64 size = compressedSize;
    const bool zip64 = compressedSize >= k32Max || uncompressedSize >= k32Max;
    QByteArray h;
    u32(h, 0x04034b50);
    u16(h, zip64 ? 45 : 20); // version needed
    u16(h, 0);               // flags
    u16(h, method);
    u16(h, 0);    // time
    u16(h, 0x21); // date: 1980-01-01
    u32(h, crc);
    u32(h, zip64 ? k32Max : quint32(compressedSize));
    u32(h, zip64 ? k32Max : quint32(uncompressedSize));
    u16(h, quint16(n.size()));
    QByteArray extra;
    if (zip64) {
        u16(extra, 0x0001);
        u16(extra, 16);
        u64(extra, quint64(uncompressedSize));
        u64(extra, quint64(compressedSize));
    }
    // Pad with an "FB" extra field so that the data starts at a multiple of 64.
    qint64 dataStart = m_pos + 30 + n.size() + extra.size() + 4;
    qint64 pad = (kAlign - dataStart % kAlign) % kAlign;
    u16(extra, 0x4246); // "FB"
    u16(extra, quint16(pad));
    extra.append(QByteArray(int(pad), 'Z'));
    u16(h, quint16(extra.size()));
    h += n;
    h += extra;
    const qint64 offset = m_pos;
    if (!put(h, error)) return false;
    const qint64 before = m_out->pos();
    if (!writeData(m_out, error)) return false;
    const qint64 written = m_out->pos() - before;
    if (written != size) {
        *error = QStringLiteral("record %1: wrote %2 bytes, expected %3")
                     .arg(name)
                     .arg(written)
                     .arg(size);
        return false;
    }
    m_pos += size;
    m_entries.push_back({n, offset, compressedSize, uncompressedSize, crc, method});
    return true;
}

bool ZipWriter::finish(QString* error) {
    const qint64 cdStart = m_pos;
    QByteArray cd;
    for (const Entry& e : m_entries) {
        const bool bigSize = e.size >= k32Max || e.compressedSize >= k32Max,
                   bigOffset = e.offset >= k32Max;
        QByteArray extra;
        if (bigSize || bigOffset) {
            u16(extra, 0x0001);
            u16(extra, quint16((bigSize ? 16 : 0) + (bigOffset ? 8 : 0)));
            if (bigSize) {
                u64(extra, quint64(e.size));
                u64(extra, quint64(e.compressedSize));
            }
            if (bigOffset) u64(extra, quint64(e.offset));
        }
        u32(cd, 0x02014b50);
        u16(cd, 0x031e); // made by: unix, 3.0
        u16(cd, extra.isEmpty() ? 20 : 45);
        u16(cd, 0);
        u16(cd, e.method);
        u16(cd, 0);
        u16(cd, 0x21);
        u32(cd, e.crc);
        u32(cd, bigSize ? k32Max : quint32(e.compressedSize));
        u32(cd, bigSize ? k32Max : quint32(e.size));
        u16(cd, quint16(e.name.size()));
        u16(cd, quint16(extra.size()));
        u16(cd, 0); // comment
        u16(cd, 0); // disk
        u16(cd, 0); // internal attributes
        u32(cd, 0644u << 16);
        u32(cd, bigOffset ? k32Max : quint32(e.offset));
        cd += e.name;
        cd += extra;
    }
    const qint64 cdSize = cd.size();
    const qint64 eocd64 = cdStart + cdSize;
    const quint64 count = m_entries.size();
    // zip64 end of central directory record and locator, as PyTorch always writes
    u32(cd, 0x06064b50);
    u64(cd, 44);
    u16(cd, 0x031e);
    u16(cd, 45);
    u32(cd, 0);
    u32(cd, 0);
    u64(cd, count);
    u64(cd, count);
    u64(cd, quint64(cdSize));
    u64(cd, quint64(cdStart));
    u32(cd, 0x07064b50);
    u32(cd, 0);
    u64(cd, quint64(eocd64));
    u32(cd, 1);
    // classic end record
    u32(cd, 0x06054b50);
    u16(cd, 0);
    u16(cd, 0);
    u16(cd, quint16(std::min<quint64>(count, 0xFFFF)));
    u16(cd, quint16(std::min<quint64>(count, 0xFFFF)));
    u32(cd, cdSize >= k32Max ? k32Max : quint32(cdSize));
    u32(cd, cdStart >= k32Max ? k32Max : quint32(cdStart));
    u16(cd, 0);
    return put(cd, error);
}

} // namespace ws
