// Saving NumPy files. A .npy keeps its header bytes (byte order, Fortran order,
// version, padding) and gets its data written back in the same layout. An .npz
// keeps entry order, names and compression (container/ZipRewrite): unedited
// records, unreadable ones included, are copied byte for byte; edited ones get a
// patched local header, new data (deflated again if they were) and a new CRC-32.
#include "Deflate.h"
#include "NpyExport.h"
#include "NumpyState.h"
#include "TensorBytes.h"
#include "ZipRewrite.h"
#include "ZipWriter.h"

#include <QBuffer>
#include <QFile>
#include <QStringList>
#include <algorithm>
#include <cstring>

namespace ws {

namespace {

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
            const ByteSourcePtr in = openByteSource(file.path, error); // a file or a URL
            if (!in) return false;
            original.resize(qsizetype(std::min(e.zip.compressedSize, in->size())));
            if (!in->read(e.zip.dataOffset, original.size(), original.data(), error)) return false;
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

bool writeNpz(const WeightFile& file, const NumpyState& state, QIODevice* out, QString* error) {
    std::vector<const ZipRecord*> records;
    for (const NpzEntryInfo& e : state.entries) {
        if (e.tensorIndex >= 0 && !e.unreadable &&
            !checkTensor(file, e.tensorIndex, e.array.header, error))
            return false;
        records.push_back(&e);
    }
    const auto change = [&](size_t i, bool* replace, ZipReplacement* with, QString* err) {
        const NpzEntryInfo& e = state.entries[i];
        *replace = e.tensorIndex >= 0 && !e.unreadable &&
                   file.tensors[size_t(e.tensorIndex)]->storage->isDirty();
        if (!*replace) return true;
        QByteArray content;
        if (!editedContent(file, e, &content, err)) return false;
        with->crc = crc32Update(0, content.constData(), content.size());
        with->uncompressedSize = content.size();
        auto payload = std::make_shared<QByteArray>();
        if (e.zip.method == 8) {
            if (!deflateBytes(content, payload.get(), err)) return false;
        } else {
            *payload = std::move(content);
        }
        with->compressedSize = payload->size();
        with->writeData = [payload, name = e.zip.name](QIODevice* dev, QString* werr) {
            return writeAll(dev, payload->constData(), payload->size(), name, werr);
        };
        return true;
    };
    return rewriteZip(file.path, records, change, out, error);
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
    out += char(dict.size() & 0xff);
    out += char((dict.size() >> 8) & 0xff);
    return out + dict;
}

} // namespace

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
