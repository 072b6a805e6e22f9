// Chunked copying and writing used by every format writer.
#include "TensorBytes.h"
#include "Region.h"

#include <QFile>
#include <QFileDevice>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace ws {

bool writeAll(QIODevice* out, const char* data, qint64 size, const QString& what, QString* error) {
    qint64 done = 0;
    while (done < size) {
        const qint64 n = out->write(data + done, std::min<qint64>(size - done, 1 << 24));
        if (n <= 0) {
            *error = QStringLiteral("cannot write %1: %2").arg(what, out->errorString());
            return false;
        }
        done += n;
    }
    return true;
}

bool copyFileRange(const QString& path, qint64 offset, qint64 size, QIODevice* out,
                   QString* error) {
    if (isUrl(path)) { // a remote file: through its source, a few MB at a time
        const ByteSourcePtr source = openByteSource(path, error);
        if (!source) return false;
        QByteArray chunk;
        for (qint64 done = 0; done < size;) {
            const qint64 n = std::min<qint64>(size - done, 8 << 20);
            chunk.resize(qsizetype(n));
            if (!source->read(offset + done, n, chunk.data(), error) ||
                !writeAll(out, chunk.constData(), n, path, error))
                return false;
            done += n;
        }
        return true;
    }
    QFile in(path);
    if (!in.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot read: %2").arg(path, in.errorString());
        return false;
    }
    if (offset < 0 || size < 0 || offset + size > in.size() || !in.seek(offset)) {
        *error = QStringLiteral("%1: changed on disk (range %2+%3 is gone)")
                     .arg(path)
                     .arg(offset)
                     .arg(size);
        return false;
    }
    // Copy inside the kernel when writing to a file (no trip through user space);
    // on any failure fall back to reading and writing what is left.
    auto* file = qobject_cast<QFileDevice*>(out);
    if (file && file->handle() >= 0 && size > 0 && file->flush()) {
        const qint64 start = file->pos();
        loff_t from = loff_t(offset);
        qint64 done = 0;
        if (::lseek(file->handle(), start, SEEK_SET) == start) {
            while (done < size) {
                const ssize_t n =
                    ::copy_file_range(in.handle(), &from, file->handle(), nullptr,
                                      size_t(std::min<qint64>(size - done, 1 << 30)), 0);
                if (n <= 0) break;
                done += n;
            }
        }
        if (!file->seek(start + done) || !in.seek(offset + done)) {
            *error = QStringLiteral("%1: cannot copy: %2").arg(path, file->errorString());
            return false;
        }
        if (done == size) return true;
        size -= done;
    }
    QByteArray buf(int(std::min<qint64>(size, 8 << 20)), Qt::Uninitialized);
    qint64 left = size;
    while (left > 0) {
        const qint64 n = in.read(buf.data(), std::min<qint64>(left, buf.size()));
        if (n <= 0) {
            *error = QStringLiteral("%1: read failed: %2").arg(path, in.errorString());
            return false;
        }
        if (!writeAll(out, buf.constData(), n, path, error)) return false;
        left -= n;
    }
    return true;
}

bool streamStorage(const Storage& s, const std::function<bool(const char*, qint64, QString*)>& sink,
                   QString* error) {
    const qint64 size = s.byteSize();
    QByteArray buf(qsizetype(std::min<qint64>(size, qint64(8) << 20)), Qt::Uninitialized);
    for (qint64 done = 0; done < size;) {
        const qint64 n = std::min<qint64>(buf.size(), size - done);
        if (!s.readBytes(done, n, buf.data(), error) || !sink(buf.constData(), n, error))
            return false;
        done += n;
    }
    return true;
}

bool writeStorageBytes(const Storage& s, QIODevice* out, QString* error) {
    return streamStorage(
        s,
        [&](const char* data, qint64 n, QString* err) {
            return writeAll(out, data, n, s.key(), err);
        },
        error);
}

bool writeTensorBytes(const Tensor& t, QIODevice* out, QString* error) {
    if (!t.check(error)) return false;
    if (t.encoding) { // decoded values, in the dtype they decode to (float32)
        constexpr int64_t kBlock = int64_t(1) << 20;
        std::vector<float> buf;
        for (int64_t first = 0, n = t.numel(); first < n; first += kBlock) {
            const int64_t count = std::min(kBlock, n - first);
            buf.resize(size_t(count));
            if (!t.readFloats(first, count, buf.data(), error) ||
                !writeAll(out, reinterpret_cast<const char*>(buf.data()), count * 4, t.name, error))
                return false;
        }
        return true;
    }
    const int64_t es = dtypeSize(t.dtype), n = t.numel();
    // Pieces of a few MB: a view is gathered, edits come through the overlay.
    const int64_t piece = std::max<int64_t>(1, (int64_t(8) << 20) / es);
    QByteArray buf(qsizetype(std::min(n, piece) * es), Qt::Uninitialized);
    for (int64_t done = 0; done < n;) {
        const int64_t k = std::min(piece, n - done);
        if (!t.readStoredBytes(done, k, buf.data(), error) ||
            !writeAll(out, buf.constData(), k * es, t.name, error))
            return false;
        done += k;
    }
    return true;
}

} // namespace ws
