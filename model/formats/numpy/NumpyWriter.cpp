// Saving NumPy files. A .npy keeps its header bytes (byte order, Fortran order,
// version, padding) and gets its data written back in the same layout. An .npz
// keeps entry order, names and compression: unedited records are copied byte
// for byte (local header, data, descriptor); edited ones get a patched local
// header, new data (deflated again if they were) and a new CRC-32; the central
// directory is written anew, with zip64 fields where Python's zipfile puts them.
#include "Deflate.h"
#include "NpyExport.h"
#include "NumpyState.h"
#include "TensorBytes.h"
#include "ZipWriter.h"

#include <QBuffer>
#include <QFile>
#include <QStringList>
#include <cstring>

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

// The tensor's storage bytes as they are now (edits included), in the file's byte order.
bool fileOrderBytes(const Tensor& t, const NpyHeader& h, QByteArray* bytes, QString* error) {
    if (!t.storage->readAll(bytes, error)) return false;
    if (h.bigEndian) swapElementBytes(bytes->data(), bytes->size() / dtypeSize(h.dtype), h.dtype);
    return true;
}

bool checkTensor(const WeightFile& file, int index, const NpyHeader& h, QString* error) {
    if (index < 0 || size_t(index) >= file.tensors.size() ||
        !file.tensors[size_t(index)]->storage ||
        file.tensors[size_t(index)]->storage->byteSize() != h.dataSize()) {
        *error =
            QStringLiteral("%1: the arrays no longer match the file that was read").arg(file.path);
        return false;
    }
    return true;
}

bool writeNpyFaithful(const WeightFile& file, const NpyArrayInfo& a, QIODevice* out,
                      QString* error) {
    if (!checkTensor(file, 0, a.header, error)) return false;
    const Tensor& t = *file.tensors[0];
    const NpyHeader& h = a.header;
    if (!writeAll(out, a.headerBytes.constData(), a.headerBytes.size(), t.name, error))
        return false;
    if (t.storage->isDirty()) {
        QByteArray bytes;
        if (!fileOrderBytes(t, h, &bytes, error) ||
            !writeAll(out, bytes.constData(), bytes.size(), t.name, error))
            return false;
    } else if (!copyFileRange(file.path, h.dataOffset, h.dataSize(), out, error)) {
        return false;
    }
    return copyFileRange(file.path, h.dataOffset + h.dataSize(), a.trailing, out, error);
}

// The whole uncompressed content of an edited entry: header, data, what followed.
bool editedContent(const WeightFile& file, const NpzEntryInfo& e, QByteArray* content,
                   QString* error) {
    const Tensor& t = *file.tensors[size_t(e.tensorIndex)];
    const NpyHeader& h = e.array.header;
    QByteArray bytes;
    if (!fileOrderBytes(t, h, &bytes, error)) return false;
    *content = e.array.headerBytes + bytes;
    if (e.array.trailing > 0) {
        QByteArray original;
        if (e.zip.method == 0) {
            QFile in(file.path);
            if (!in.open(QIODevice::ReadOnly) || !in.seek(e.zip.dataOffset)) {
                *error = QStringLiteral("%1: cannot read record %2").arg(file.path, e.zip.name);
                return false;
            }
            original = in.read(e.zip.compressedSize);
        } else {
            bool complete = false;
            if (!inflateFileRange(file.path, e.zip.dataOffset, e.zip.compressedSize,
                                  e.zip.uncompressedSize, &original, &complete, error))
                return false;
        }
        if (original.size() != e.zip.uncompressedSize) {
            *error = QStringLiteral("%1: record %2 changed on disk").arg(file.path, e.zip.name);
            return false;
        }
        *content += original.right(e.array.trailing);
    }
    return true;
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

bool writeNpz(const WeightFile& file, const NumpyState& state, QIODevice* out, QString* error) {
    std::vector<CentralEntry> central;
    qint64 pos = 0;
    for (const NpzEntryInfo& e : state.entries) {
        CentralEntry c;
        c.offset = pos;
        const bool edited =
            e.tensorIndex >= 0 && file.tensors[size_t(e.tensorIndex)]->storage->isDirty();
        if (e.tensorIndex >= 0 && !checkTensor(file, e.tensorIndex, e.array.header, error))
            return false;
        if (!edited) {
            c.localHeader = e.localHeader;
            c.crc = e.zip.crc32;
            c.csize = e.zip.compressedSize;
            c.usize = e.zip.uncompressedSize;
            const qint64 n = e.localHeader.size() + c.csize + e.descriptorSize;
            if (!copyFileRange(file.path, e.zip.localHeaderOffset, n, out, error)) return false;
            pos += n;
        } else {
            QByteArray content, payload;
            if (!editedContent(file, e, &content, error)) return false;
            c.crc = crc32Update(0, content.constData(), content.size());
            c.usize = content.size();
            if (e.zip.method == 8) {
                if (!deflateBytes(content, &payload, error)) return false;
            } else {
                payload = std::move(content);
            }
            c.csize = payload.size();
            c.localHeader = e.localHeader;
            if (!patchLocalHeader(&c.localHeader, c.crc, c.csize, c.usize, error)) {
                *error = QStringLiteral("%1: %2: %3").arg(file.path, e.zip.name, *error);
                return false;
            }
            if (!writeAll(out, c.localHeader.constData(), c.localHeader.size(), e.zip.name,
                          error) ||
                !writeAll(out, payload.constData(), payload.size(), e.zip.name, error))
                return false;
            pos += c.localHeader.size() + payload.size();
        }
        central.push_back(std::move(c));
    }
    const QByteArray cd = centralDirectory(central, pos);
    return writeAll(out, cd.constData(), cd.size(), QStringLiteral("central directory"), error);
}

// A version 1.0 header for \a descr and \a shape in C order, padded to 64 bytes.
QByteArray newNpyHeader(const QString& descr, const std::vector<int64_t>& shape) {
    QStringList dims;
    for (int64_t d : shape)
        dims << QString::number(d);
    QString s = dims.join(QLatin1String(", "));
    if (shape.size() == 1) s += QLatin1Char(',');
    QByteArray dict = QStringLiteral("{'descr': '%1', 'fortran_order': False, 'shape': (%2), }")
                          .arg(descr, s)
                          .toLatin1();
    const int total = int((10 + dict.size() + 1 + 63) / 64 * 64);
    dict += QByteArray(total - 10 - dict.size() - 1, ' ') + '\n';
    QByteArray out("\x93NUMPY\x01\x00", 8);
    append(out, quint64(dict.size()), 2);
    return out + dict;
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

bool writeNumpyFaithful(const WeightFile& file, const NumpyState& state, QIODevice* out,
                        QString* error) {
    return state.isNpz ? writeNpz(file, state, out, error)
                       : writeNpyFaithful(file, state.npy, out, error);
}

bool writeNpzConverted(const WeightFile& file, QIODevice* out, QString* error) {
    ZipWriter zip(out);
    for (const TensorPtr& t : file.tensors) {
        const QString descr = t->encoding ? QStringLiteral("<f4") : npyDescr(t->dtype);
        QByteArray content = newNpyHeader(descr, t->shape);
        if (!t->check(error)) return false;
        if (descr == QLatin1String("<f4") && (t->dtype != DType::Float32 || t->encoding)) {
            const int64_t n = t->numel();
            const qsizetype at = content.size();
            content.resize(at + n * 4);
            if (!t->readFloats(0, n, reinterpret_cast<float*>(content.data() + at), error))
                return false;
        } else {
            const qint64 at = content.size();
            content.reserve(at + t->numel() * dtypeSize(t->dtype));
            QBuffer buf(&content);
            buf.open(QIODevice::Append);
            if (!writeTensorBytes(*t, &buf, error)) return false;
        }
        const quint32 crc = crc32Update(0, content.constData(), content.size());
        auto data = [&content](QIODevice* dev, QString* err) {
            return writeAll(dev, content.constData(), content.size(), QStringLiteral("array"), err);
        };
        if (!zip.addRecord(t->name + QStringLiteral(".npy"), content.size(), crc, data, error))
            return false;
    }
    return zip.finish(error);
}

} // namespace ws
