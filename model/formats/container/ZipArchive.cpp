// Zip central-directory reader: finds the end record, follows the zip64 locator
// when present, and checks every size and offset against the real file size.
#include "ZipArchive.h"

#include <QIODevice>

namespace ws {

namespace {

quint64 le(const char* p, int n) {
    quint64 v = 0;
    for (int i = 0; i < n; ++i)
        v |= quint64(uchar(p[i])) << (8 * i);
    return v;
}

bool readAt(QIODevice& f, qint64 offset, qint64 size, QByteArray* out) {
    if (offset < 0 || size < 0 || offset > f.size() || size > f.size() - offset) return false;
    if (!f.seek(offset)) return false;
    *out = f.read(size);
    return out->size() == size;
}

constexpr quint32 kEndSig = 0x06054b50, kEnd64Sig = 0x06064b50, kLocator64Sig = 0x07064b50,
                  kCentralSig = 0x02014b50, kLocalSig = 0x04034b50;
constexpr qint64 kMaxCentralDirectory = qint64(1) << 30;

} // namespace

int ZipArchive::find(const QString& name) const {
    for (size_t i = 0; i < m_entries.size(); ++i)
        if (m_entries[i].name == name) return int(i);
    return -1;
}

bool ZipArchive::open(QIODevice& file, QString* error) {
    m_entries.clear();
    const qint64 fileSize = file.size();
    // The end record is 22 bytes plus a comment of up to 65535 bytes.
    const qint64 tailSize = std::min<qint64>(fileSize, 22 + 65535);
    QByteArray tail;
    if (tailSize < 22 || !readAt(file, fileSize - tailSize, tailSize, &tail)) {
        *error = QStringLiteral("zip end record not found (file too short)");
        return false;
    }
    qint64 endPos = -1;
    for (qint64 i = tail.size() - 22; i >= 0; --i) {
        if (le(tail.constData() + i, 4) == kEndSig) {
            endPos = fileSize - tailSize + i;
            break;
        }
    }
    if (endPos < 0) {
        *error = QStringLiteral("zip end record not found (truncated file?)");
        return false;
    }
    const char* end = tail.constData() + (endPos - (fileSize - tailSize));
    quint64 count = le(end + 10, 2);
    quint64 cdSize = le(end + 12, 4);
    quint64 cdOffset = le(end + 16, 4);
    if (count == 0xffff || cdSize == 0xffffffff || cdOffset == 0xffffffff) {
        QByteArray loc, end64;
        if (endPos < 20 || !readAt(file, endPos - 20, 20, &loc) ||
            le(loc.constData(), 4) != kLocator64Sig) {
            *error = QStringLiteral("zip64 end locator missing");
            return false;
        }
        const quint64 end64Pos = le(loc.constData() + 8, 8);
        if (end64Pos > quint64(fileSize) || !readAt(file, qint64(end64Pos), 56, &end64) ||
            le(end64.constData(), 4) != kEnd64Sig) {
            *error = QStringLiteral("zip64 end record missing or out of range");
            return false;
        }
        count = le(end64.constData() + 32, 8);
        cdSize = le(end64.constData() + 40, 8);
        cdOffset = le(end64.constData() + 48, 8);
    }
    if (cdSize > quint64(fileSize) || cdOffset > quint64(fileSize) - cdSize ||
        qint64(cdSize) > kMaxCentralDirectory) {
        *error = QStringLiteral("central directory (%1 bytes at %2) lies outside the file of %3 "
                                "bytes")
                     .arg(cdSize)
                     .arg(cdOffset)
                     .arg(fileSize);
        return false;
    }
    if (count > cdSize / 46) {
        *error = QStringLiteral("central directory claims %1 entries in %2 bytes")
                     .arg(count)
                     .arg(cdSize);
        return false;
    }
    QByteArray cd;
    if (!readAt(file, qint64(cdOffset), qint64(cdSize), &cd)) {
        *error = QStringLiteral("cannot read the central directory");
        return false;
    }
    m_entries.reserve(size_t(count));
    qint64 pos = 0;
    for (quint64 i = 0; i < count; ++i) {
        const char* p = cd.constData() + pos;
        if (cd.size() - pos < 46 || le(p, 4) != kCentralSig) {
            *error = QStringLiteral("central directory entry %1 is malformed").arg(i);
            return false;
        }
        ZipEntry e;
        e.method = quint16(le(p + 10, 2));
        e.crc32 = quint32(le(p + 16, 4));
        quint64 csize = le(p + 20, 4), usize = le(p + 24, 4), local = le(p + 42, 4);
        const qint64 nameLen = qint64(le(p + 28, 2)), extraLen = qint64(le(p + 30, 2)),
                     commentLen = qint64(le(p + 32, 2));
        if (cd.size() - pos - 46 < nameLen + extraLen + commentLen) {
            *error = QStringLiteral("central directory entry %1 runs past its end").arg(i);
            return false;
        }
        e.name = QString::fromUtf8(p + 46, int(nameLen));
        // zip64 extra: the 0xffffffff fields, in order usize, csize, local offset
        const char* x = p + 46 + nameLen;
        for (qint64 k = 0; k + 4 <= extraLen;) {
            const quint64 id = le(x + k, 2), len = le(x + k + 2, 2);
            if (qint64(len) > extraLen - k - 4) break;
            if (id == 1) {
                const char* z = x + k + 4;
                quint64 used = 0;
                auto take = [&](quint64* field) {
                    if (*field != 0xffffffff || used + 8 > len) return;
                    *field = le(z + used, 8);
                    used += 8;
                };
                take(&usize);
                take(&csize);
                take(&local);
            }
            k += 4 + qint64(len);
        }
        if (csize > quint64(fileSize) || usize > (quint64(1) << 62) || local > quint64(fileSize)) {
            *error = QStringLiteral("record %1: sizes or offset beyond the file").arg(e.name);
            return false;
        }
        e.compressedSize = qint64(csize);
        e.uncompressedSize = qint64(usize);
        e.localHeaderOffset = qint64(local);
        m_entries.push_back(std::move(e));
        pos += 46 + nameLen + extraLen + commentLen;
    }
    // Data starts after the local header's own name and extra field.
    for (ZipEntry& e : m_entries) {
        QByteArray lh;
        if (!readAt(file, e.localHeaderOffset, 30, &lh) || le(lh.constData(), 4) != kLocalSig) {
            *error = QStringLiteral("record %1: local header at %2 is missing")
                         .arg(e.name)
                         .arg(e.localHeaderOffset);
            return false;
        }
        e.dataOffset = e.localHeaderOffset + 30 + qint64(le(lh.constData() + 26, 2)) +
                       qint64(le(lh.constData() + 28, 2));
        if (e.dataOffset > fileSize || e.compressedSize > fileSize - e.dataOffset) {
            *error = QStringLiteral("record %1: %2 bytes at offset %3 run past the end of the "
                                    "file (%4 bytes)")
                         .arg(e.name)
                         .arg(e.compressedSize)
                         .arg(e.dataOffset)
                         .arg(fileSize);
            return false;
        }
    }
    return true;
}

bool ZipArchive::read(QIODevice& file, const ZipEntry& e, qint64 maxSize, QByteArray* out,
                      QString* error) const {
    if (e.method != 0) {
        *error = QStringLiteral("record %1 is compressed (method %2); only stored records are "
                                "supported")
                     .arg(e.name)
                     .arg(e.method);
        return false;
    }
    if (e.compressedSize != e.uncompressedSize || e.compressedSize > maxSize) {
        *error = QStringLiteral("record %1 has an implausible size (%2 bytes)")
                     .arg(e.name)
                     .arg(e.uncompressedSize);
        return false;
    }
    if (!readAt(file, e.dataOffset, e.compressedSize, out)) {
        *error = QStringLiteral("cannot read record %1").arg(e.name);
        return false;
    }
    return true;
}

} // namespace ws
