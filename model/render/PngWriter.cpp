// PNG encoding with zlib: unfiltered rows deflated in parallel pieces.
#include "PngWriter.h"

#include "AtomicSave.h"

#include "Parallel.h"

#include <QSaveFile>
#include <QtEndian>
#include <algorithm>
#include <vector>
#include <zlib.h>

namespace ws {

namespace {

void appendChunk(QByteArray* out, const char type[4], const char* data, qint64 size) {
    char be[4];
    qToBigEndian(quint32(size), be);
    out->append(be, 4);
    const int start = int(out->size());
    out->append(type, 4);
    out->append(data, size);
    const uLong crc =
        crc32(0, reinterpret_cast<const Bytef*>(out->constData() + start), uInt(size + 4));
    qToBigEndian(quint32(crc), be);
    out->append(be, 4);
}

void appendChunk(QByteArray* out, const char type[4], const QByteArray& data) {
    appendChunk(out, type, data.constData(), data.size());
}

/// Rows [y0, y1) of \a image, each behind filter byte 0, as raw deflate blocks
/// that end byte-aligned (sync flush) unless \a last, so that the pieces of
/// consecutive row ranges concatenate into one stream. Also their Adler-32.
bool deflateRows(const QImage& image, int y0, int y1, int rowBytes, bool last, QByteArray* out,
                 uLong* adler) {
    const size_t rawSize = size_t(y1 - y0) * size_t(rowBytes + 1);
    std::vector<unsigned char> raw(rawSize);
    unsigned char* p = raw.data();
    for (int y = y0; y < y1; ++y) {
        *p++ = 0;
        std::copy_n(image.constScanLine(y), rowBytes, p);
        p += rowBytes;
    }
    *adler = adler32(adler32(0, nullptr, 0), raw.data(), uInt(rawSize));
    z_stream z{};
    // Level 1, raw deflate (no zlib header: the pieces share one).
    if (deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
    out->resize(qsizetype(deflateBound(&z, uLong(rawSize)) + 64));
    z.next_in = raw.data();
    z.avail_in = uInt(rawSize);
    z.next_out = reinterpret_cast<Bytef*>(out->data());
    z.avail_out = uInt(out->size());
    const int flush = last ? Z_FINISH : Z_SYNC_FLUSH;
    int rc = deflate(&z, flush);
    while ((last && rc == Z_OK) || (!last && rc == Z_OK && z.avail_out == 0)) {
        // Out of room (deflateBound is an upper bound; this is only a safety net).
        const qsizetype used = out->size() - qsizetype(z.avail_out);
        out->resize(out->size() * 2);
        z.next_out = reinterpret_cast<Bytef*>(out->data() + used);
        z.avail_out = uInt(out->size() - used);
        rc = deflate(&z, flush);
    }
    const bool ok = last ? rc == Z_STREAM_END : rc == Z_OK || rc == Z_BUF_ERROR;
    out->resize(out->size() - qsizetype(z.avail_out));
    deflateEnd(&z);
    return ok;
}

} // namespace

QByteArray encodePng(const QImage& source, const QString& title) {
    const bool alpha = source.hasAlphaChannel();
    const QImage image =
        source.convertToFormat(alpha ? QImage::Format_RGBA8888 : QImage::Format_RGB888);
    const int w = image.width(), h = image.height();
    if (w <= 0 || h <= 0) return QByteArray();
    const int rowBytes = w * (alpha ? 4 : 3);

    // Pieces of at least half a million pixels, deflated on the available cores (each
    // starts without the previous one's window: a few hundred bytes more per piece).
    const int pieces = int(std::clamp<int64_t>(int64_t(w) * h / (1 << 19), 1, 4));
    const int threads = std::min(pieces, threadsFor(int64_t(1) << 22));
    std::vector<QByteArray> deflated(static_cast<size_t>(pieces));
    std::vector<uLong> adlers(static_cast<size_t>(pieces));
    const auto rowOf = [&](int64_t k) { return int(k * h / pieces); };
    const bool ok = runParts(
        pieces, threads,
        [&](int, int64_t first, int64_t end, QString*) {
            for (int64_t k = first; k < end; ++k)
                if (!deflateRows(image, rowOf(k), rowOf(k + 1), rowBytes, k == pieces - 1,
                                 &deflated[size_t(k)], &adlers[size_t(k)]))
                    return false;
            return true;
        },
        nullptr);
    if (!ok) return QByteArray();

    QByteArray png("\x89PNG\r\n\x1a\n", 8);
    char ihdr[13];
    qToBigEndian(quint32(w), ihdr);
    qToBigEndian(quint32(h), ihdr + 4);
    ihdr[8] = 8;                        // bits per channel
    ihdr[9] = alpha ? 6 : 2;            // RGBA or RGB
    ihdr[10] = ihdr[11] = ihdr[12] = 0; // deflate, adaptive filtering, no interlace
    appendChunk(&png, "IHDR", ihdr, 13);
    if (image.dotsPerMeterX() > 0 && image.dotsPerMeterY() > 0) {
        char phys[9];
        qToBigEndian(quint32(image.dotsPerMeterX()), phys);
        qToBigEndian(quint32(image.dotsPerMeterY()), phys + 4);
        phys[8] = 1; // metre
        appendChunk(&png, "pHYs", phys, 9);
    }
    const auto text = [&](const char* key, const QString& value) {
        QByteArray data(key);
        data.append('\0');
        data.append(value.toLatin1()); // tEXt is Latin-1
        appendChunk(&png, "tEXt", data);
    };
    text("Software", QStringLiteral("WeightScope"));
    if (!title.isEmpty()) text("Title", title);

    QByteArray stream("\x78\x01", 2); // zlib header: deflate, 32 KiB window, fastest
    uLong adler = adlers[0];
    for (size_t k = 0; k < deflated.size(); ++k) {
        stream.append(deflated[k]);
        if (k > 0) {
            const uLong len =
                uLong(rowOf(int64_t(k) + 1) - rowOf(int64_t(k))) * uLong(rowBytes + 1);
            adler = adler32_combine(adler, adlers[k], z_off_t(len));
        }
    }
    char tail[4];
    qToBigEndian(quint32(adler), tail);
    stream.append(tail, 4);
    constexpr qsizetype kIdat = qsizetype(1) << 20;
    for (qsizetype at = 0; at < stream.size(); at += kIdat)
        appendChunk(&png, "IDAT", stream.constData() + at, std::min(kIdat, stream.size() - at));
    appendChunk(&png, "IEND", nullptr, 0);
    return png;
}

bool writePng(const QImage& image, const QString& path, const QString& title, QString* error) {
    const QByteArray png = encodePng(image, title);
    if (png.isEmpty()) {
        if (error) *error = QStringLiteral("%1: cannot encode the image").arg(path);
        return false;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error) *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    file.write(png); // a short write shows in commitSaveFile's size check
    return commitSaveFile(file, path, error);
}

} // namespace ws
