// Rewriting a zip record by record (see ZipRewrite.h); the central directory
// follows Python's zipfile: zip64 extras only for sizes or offsets past 2 GiB.
#include "ZipRewrite.h"
#include "TensorBytes.h"

#include <QIODevice>

namespace ws {

namespace {

constexpr quint32 k32 = 0xFFFFFFFFu;
constexpr qint64 kZip64Limit = (qint64(1) << 31) - 1; // Python's zipfile.ZIP64_LIMIT

quint64 le(const char* p, int n) {
    quint64 v = 0;
    for (int i = n - 1; i >= 0; --i)
        v = (v << 8) | uchar(p[i]);
    return v;
}
void put(QByteArray& b, int at, quint64 v, int n) {
    for (int i = 0; i < n; ++i)
        b[at + i] = char((v >> (8 * i)) & 0xff);
}
void append(QByteArray& b, quint64 v, int n) {
    for (int i = 0; i < n; ++i)
        b += char((v >> (8 * i)) & 0xff);
}

// Patches CRC and sizes into a copy of the original local header.
bool patchLocalHeader(QByteArray* lh, quint32 crc, qint64 csize, qint64 usize, QString* error) {
    put(*lh, 6, le(lh->constData() + 6, 2) & ~quint64(8), 2); // sizes now in the header
    put(*lh, 14, crc, 4);
    const int z = zip64ExtraOffset(*lh);
    const int zlen = z >= 0 ? int(le(lh->constData() + z - 2, 2)) : 0;
    int used = 0;
    // 32-bit fields at 22 (uncompressed) and 18 (compressed); the zip64 extra
    // holds the 0xFFFFFFFF ones, uncompressed first
    for (const auto& [at, value] : {std::pair<int, qint64>{22, usize}, {18, csize}}) {
        if (le(lh->constData() + at, 4) == k32 && z >= 0 && used + 8 <= zlen) {
            put(*lh, z + used, quint64(value), 8);
            used += 8;
        } else if (value < qint64(k32)) {
            put(*lh, at, quint64(value), 4);
        } else {
            *error = QStringLiteral("record too large for its local header");
            return false;
        }
    }
    return true;
}

struct CentralEntry {
    QByteArray localHeader;
    qint64 offset = 0, csize = 0, usize = 0;
    quint32 crc = 0;
};

QByteArray centralDirectory(const std::vector<CentralEntry>& entries, qint64 cdStart) {
    QByteArray cd;
    for (const CentralEntry& e : entries) {
        const char* lh = e.localHeader.constData();
        const int nameLen = int(le(lh + 26, 2));
        const bool bigSize = e.csize > kZip64Limit || e.usize > kZip64Limit;
        const bool bigOffset = e.offset > kZip64Limit;
        QByteArray extra;
        if (bigSize || bigOffset) {
            append(extra, 1, 2);
            append(extra, (bigSize ? 16 : 0) + (bigOffset ? 8 : 0), 2);
            if (bigSize) {
                append(extra, quint64(e.usize), 8);
                append(extra, quint64(e.csize), 8);
            }
            if (bigOffset) append(extra, quint64(e.offset), 8);
        }
        quint64 needed = le(lh + 4, 2);
        if (!extra.isEmpty()) needed = std::max<quint64>(needed, 45);
        append(cd, 0x02014b50, 4);
        append(cd, std::max<quint64>(needed, 20) | (3u << 8), 2); // made by: unix
        append(cd, needed, 2);
        cd.append(lh + 6, 8); // flags, method, time, date
        append(cd, e.crc, 4);
        append(cd, bigSize ? k32 : quint64(e.csize), 4);
        append(cd, bigSize ? k32 : quint64(e.usize), 4);
        append(cd, quint64(nameLen), 2);
        append(cd, quint64(extra.size()), 2);
        append(cd, 0, 2); // comment
        append(cd, 0, 2); // disk
        append(cd, 0, 2); // internal attributes
        append(cd, 0600u << 16, 4);
        append(cd, bigOffset ? k32 : quint64(e.offset), 4);
        cd.append(lh + 30, nameLen);
        cd += extra;
    }
    const qint64 cdSize = cd.size();
    const quint64 count = entries.size();
    const bool zip64 = count >= 0xFFFF || cdStart > kZip64Limit || cdSize > kZip64Limit;
    if (zip64) {
        append(cd, 0x06064b50, 4);
        append(cd, 44, 8);
        append(cd, 45 | (3u << 8), 2);
        append(cd, 45, 2);
        append(cd, 0, 4);
        append(cd, 0, 4);
        append(cd, count, 8);
        append(cd, count, 8);
        append(cd, quint64(cdSize), 8);
        append(cd, quint64(cdStart), 8);
        append(cd, 0x07064b50, 4);
        append(cd, 0, 4);
        append(cd, quint64(cdStart + cdSize), 8);
        append(cd, 1, 4);
    }
    append(cd, 0x06054b50, 4);
    append(cd, 0, 4);
    append(cd, std::min<quint64>(count, 0xFFFF), 2);
    append(cd, std::min<quint64>(count, 0xFFFF), 2);
    append(cd, zip64 ? k32 : quint64(cdSize), 4);
    append(cd, zip64 ? k32 : quint64(cdStart), 4);
    append(cd, 0, 2);
    return cd;
}

} // namespace

int zip64ExtraOffset(const QByteArray& lh) {
    if (lh.size() < 30) return -1;
    const int nameLen = int(le(lh.constData() + 26, 2)), extraLen = int(le(lh.constData() + 28, 2));
    const int start = 30 + nameLen;
    const int end = std::min<int>(start + extraLen, int(lh.size()));
    for (int k = start; k + 4 <= end;) {
        const int id = int(le(lh.constData() + k, 2)), len = int(le(lh.constData() + k + 2, 2));
        if (k + 4 + len > end) break;
        if (id == 1) return k + 4;
        k += 4 + len;
    }
    return -1;
}

bool readZipRecord(QIODevice& file, const ZipEntry& e, ZipRecord* out, QString* problem) {
    out->zip = e;
    out->descriptorSize = 0;
    const qint64 localSize = e.dataOffset - e.localHeaderOffset;
    if (localSize < 30 || !file.seek(e.localHeaderOffset) ||
        (out->localHeader = file.read(localSize)).size() != localSize) {
        *problem = QStringLiteral("cannot read the local header of record %1").arg(e.name);
        return false;
    }
    const int flags = uchar(out->localHeader[6]) | (uchar(out->localHeader[7]) << 8);
    if (flags & 1) {
        *problem = QStringLiteral("record %1 is encrypted").arg(e.name);
        return false;
    }
    if (flags & 8) {
        // data descriptor: optional signature, CRC, then 4- or 8-byte sizes
        const qint64 at = e.dataOffset + e.compressedSize;
        file.seek(at);
        const QByteArray d = file.read(24);
        const bool sig = d.startsWith(QByteArray("PK\x07\x08", 4));
        const bool wide = zip64ExtraOffset(out->localHeader) >= 0;
        out->descriptorSize = (sig ? 4 : 0) + 4 + (wide ? 16 : 8);
        if (d.size() < out->descriptorSize) {
            *problem = QStringLiteral("record %1's data descriptor is missing").arg(e.name);
            return false;
        }
    }
    return true;
}

bool rewriteZip(const QString& sourcePath, const std::vector<const ZipRecord*>& records,
                const ZipChange& change, QIODevice* out, QString* error) {
    std::vector<CentralEntry> central;
    qint64 pos = 0;
    for (size_t i = 0; i < records.size(); ++i) {
        const ZipRecord& r = *records[i];
        bool replace = false;
        ZipReplacement with;
        if (!change(i, &replace, &with, error)) return false;
        CentralEntry c;
        c.offset = pos;
        c.localHeader = r.localHeader;
        if (!replace) {
            c.crc = r.zip.crc32;
            c.csize = r.zip.compressedSize;
            c.usize = r.zip.uncompressedSize;
            const qint64 n = r.localHeader.size() + c.csize + r.descriptorSize;
            if (!copyFileRange(sourcePath, r.zip.localHeaderOffset, n, out, error)) return false;
            pos += n;
        } else {
            c.crc = with.crc;
            c.csize = with.compressedSize;
            c.usize = with.uncompressedSize;
            if (!patchLocalHeader(&c.localHeader, c.crc, c.csize, c.usize, error)) {
                *error = QStringLiteral("%1: %2: %3").arg(sourcePath, r.zip.name, *error);
                return false;
            }
            if (!writeAll(out, c.localHeader.constData(), c.localHeader.size(), r.zip.name, error))
                return false;
            const qint64 before = out->pos();
            if (!with.writeData(out, error)) return false;
            if (!out->isSequential() && out->pos() - before != c.csize) {
                *error = QStringLiteral("%1: record %2 was written with %3 bytes instead of %4")
                             .arg(sourcePath, r.zip.name)
                             .arg(out->pos() - before)
                             .arg(c.csize);
                return false;
            }
            pos += c.localHeader.size() + c.csize;
        }
        central.push_back(std::move(c));
    }
    const QByteArray cd = centralDirectory(central, pos);
    return writeAll(out, cd.constData(), cd.size(), QStringLiteral("central directory"), error);
}

} // namespace ws
