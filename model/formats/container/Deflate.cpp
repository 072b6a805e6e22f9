// zlib inflate of a file range in chunks, stopping at a caller's limit so a
// compressed record can never make us produce more than we asked for.
#include "Deflate.h"

#include "ByteSourceDevice.h"

#include <QFile>
#include <memory>
#include <zlib.h>

namespace ws {

bool inflateFileRange(const QString& path, qint64 offset, qint64 compressedSize, qint64 limit,
                      QByteArray* out, bool* complete, QString* error) {
    out->clear();
    *complete = false;
    std::unique_ptr<QIODevice> device; // a file, or a URL read by ranges
    if (isUrl(path)) {
        const ByteSourcePtr source = openByteSource(path, error);
        if (!source) return false;
        device = std::make_unique<ByteSourceDevice>(source);
    } else {
        auto local = std::make_unique<QFile>(path);
        if (!local->open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("%1: cannot open: %2").arg(path, local->errorString());
            return false;
        }
        device = std::move(local);
    }
    QIODevice& file = *device;
    if (offset < 0 || compressedSize < 0 || offset > file.size() ||
        compressedSize > file.size() - offset || !file.seek(offset)) {
        *error = QStringLiteral("%1: compressed range %2+%3 lies outside the file")
                     .arg(path)
                     .arg(offset)
                     .arg(compressedSize);
        return false;
    }
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
        *error = QStringLiteral("%1: zlib initialisation failed").arg(path);
        return false;
    }
    QByteArray in;
    qint64 left = compressedSize;
    const qint64 chunk = 1 << 20;
    QByteArray buf(int(std::min<qint64>(std::max<qint64>(limit, 1), chunk)), Qt::Uninitialized);
    int rc = Z_OK;
    while (rc != Z_STREAM_END && out->size() < limit) {
        if (z.avail_in == 0 && left > 0) {
            in = file.read(std::min(left, chunk));
            if (in.isEmpty()) break;
            left -= in.size();
            z.next_in = reinterpret_cast<Bytef*>(in.data());
            z.avail_in = uInt(in.size());
        }
        const qint64 room = std::min<qint64>(limit - out->size(), buf.size());
        z.next_out = reinterpret_cast<Bytef*>(buf.data());
        z.avail_out = uInt(room);
        rc = inflate(&z, Z_NO_FLUSH);
        const qint64 produced = room - qint64(z.avail_out);
        out->append(buf.constData(), produced);
        if (rc == Z_BUF_ERROR && z.avail_in == 0 && left == 0) break; // input ran out
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            inflateEnd(&z);
            *error = QStringLiteral("%1: corrupt deflate data at %2 (%3)")
                         .arg(path)
                         .arg(offset)
                         .arg(QString::fromLatin1(z.msg ? z.msg : "zlib error"));
            out->clear();
            return false;
        }
        if (produced == 0 && z.avail_in == 0 && left == 0 && rc != Z_STREAM_END) break;
    }
    *complete = rc == Z_STREAM_END;
    inflateEnd(&z);
    return true;
}

bool deflateBytes(const QByteArray& in, QByteArray* out, QString* error) {
    z_stream z{};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        *error = QStringLiteral("zlib initialisation failed");
        return false;
    }
    out->clear();
    const qint64 chunk = 1 << 20;
    QByteArray buf(int(chunk), Qt::Uninitialized);
    qint64 pos = 0;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        if (z.avail_in == 0 && pos < in.size()) {
            const qint64 n = std::min<qint64>(in.size() - pos, 1 << 30);
            z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.constData() + pos));
            z.avail_in = uInt(n);
            pos += n;
        }
        z.next_out = reinterpret_cast<Bytef*>(buf.data());
        z.avail_out = uInt(buf.size());
        rc = deflate(&z, pos >= in.size() ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_ERROR) {
            deflateEnd(&z);
            *error = QStringLiteral("deflate failed");
            return false;
        }
        out->append(buf.constData(), buf.size() - qint64(z.avail_out));
    }
    deflateEnd(&z);
    return true;
}

} // namespace ws
