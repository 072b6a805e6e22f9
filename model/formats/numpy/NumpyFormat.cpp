// Reading .npy and .npz: headers are parsed when the file opens, data loads
// lazily (a file range for stored little-endian data, a loader that inflates
// and/or byte-swaps otherwise). Fortran order becomes a strided view.
#include "NumpyFormat.h"
#include "ByteSourceDevice.h"
#include "Deflate.h"
#include "NumpyState.h"
#include "ZipWriter.h"

#include <QFile>
#include <QFileInfo>
#include <QUrl>

namespace ws {

namespace {

constexpr qint64 kMaxDeflateRatio = 1040; // deflate cannot do better than ~1032:1

// Strides (in elements) for C or Fortran order; saturating so that a shape with a
// zero dimension next to huge ones cannot overflow.
std::vector<int64_t> stridesFor(const std::vector<int64_t>& shape, bool fortran) {
    const size_t n = shape.size();
    std::vector<int64_t> strides(n, 1);
    int64_t s = 1;
    for (size_t k = 0; k < n; ++k) {
        const size_t i = fortran ? k : n - 1 - k;
        strides[i] = s;
        const int64_t d = std::max<int64_t>(shape[i], 1);
        s = s > (kMaxElements * 16) / d ? kMaxElements * 16 : s * d;
    }
    return strides;
}

TensorPtr makeTensor(const QString& name, const NpyHeader& h, std::shared_ptr<Storage> storage) {
    auto t = std::make_shared<Tensor>();
    t->name = name;
    t->dtype = h.dtype;
    t->shape = h.shape;
    t->strides = stridesFor(h.shape, h.fortranOrder);
    t->storage = std::move(storage);
    return t;
}

// Wraps a loader so that big-endian data arrive in our little-endian storage.
Storage::Loader swapping(Storage::Loader inner, DType dtype) {
    return [inner, dtype](QByteArray& bytes, QString* error) {
        if (!inner(bytes, error)) return false;
        swapElementBytes(bytes.data(), bytes.size() / dtypeSize(dtype), dtype);
        return true;
    };
}

std::shared_ptr<Storage> rangeStorage(const QString& path, qint64 offset, const NpyHeader& h,
                                      const QString& key) {
    // (a URL: a range of its source, shared by every array of the archive)
    ByteSourcePtr remote;
    QString ignored; // the archive was just read through it: an error shows on reading
    if (isUrl(path)) remote = openByteSource(path, &ignored);
    auto plain = remote ? Storage::fromSource(remote, offset, h.dataSize(), key)
                        : Storage::fromFileRange(path, offset, h.dataSize(), key);
    if (!h.bigEndian) return plain;
    return Storage::fromLoader(swapping(plain->loader(), h.dtype), h.dataSize(), key);
}

std::unique_ptr<WeightFile> readNpy(const QString& path, const ByteSourcePtr& file,
                                    QString* error) {
    const ByteSource& source = *file;
    const qint64 size = source.size();
    QByteArray head(qsizetype(std::min<qint64>(size, 12)), Qt::Uninitialized);
    if (!source.read(0, head.size(), head.data(), error)) return nullptr;
    QString problem;
    const qint64 headerSize = npyHeaderSize(head, &problem);
    auto state = std::make_shared<NumpyState>();
    NpyArrayInfo& info = state->npy;
    if (headerSize > size) problem = QStringLiteral("header runs past the end of the file");
    QByteArray header;
    if (headerSize >= 0 && headerSize <= size) { // checked against the size before allocating
        header.resize(qsizetype(headerSize));
        if (!source.read(0, headerSize, header.data(), error)) return nullptr;
    }
    if (headerSize < 0 || headerSize > size || !parseNpyHeader(header, &info.header, &problem)) {
        *error = QStringLiteral("%1: %2").arg(path, problem);
        return nullptr;
    }
    const NpyHeader& h = info.header;
    if (h.dataSize() > size - h.dataOffset) {
        *error = QStringLiteral("%1: %2 elements of %3 need %4 bytes of data but only %5 follow "
                                "the header")
                     .arg(path)
                     .arg(h.numel)
                     .arg(h.descr)
                     .arg(h.dataSize())
                     .arg(size - h.dataOffset);
        return nullptr;
    }
    info.headerBytes = header.left(qsizetype(h.dataOffset));
    info.trailing = size - h.dataOffset - h.dataSize();
    QString name = isUrl(path) ? QUrl(path).fileName() : QFileInfo(path).fileName();
    if (name.endsWith(QLatin1String(".npy"), Qt::CaseInsensitive)) name.chop(4);
    auto out = std::make_unique<WeightFile>();
    out->formatName = QStringLiteral("NumPy array (.npy %1.%2)").arg(h.major).arg(h.minor);
    auto plain = Storage::fromSource(file, h.dataOffset, h.dataSize(), name);
    std::shared_ptr<Storage> storage =
        h.bigEndian ? Storage::fromLoader(swapping(plain->loader(), h.dtype), h.dataSize(), name)
                    : plain;
    out->tensors.push_back(makeTensor(name, h, storage));
    out->state = state;
    return out;
}

// Reads the first bytes of an entry's uncompressed content (at most \a limit).
bool entryPrefix(const QString& path, QIODevice& file, const ZipEntry& e, qint64 limit,
                 QByteArray* out, QString* problem) {
    if (e.method == 0) {
        const qint64 n = std::min(limit, e.compressedSize);
        if (!file.seek(e.dataOffset)) return false;
        *out = file.read(n);
        return out->size() == n;
    }
    bool complete = false;
    return inflateFileRange(path, e.dataOffset, e.compressedSize, limit, out, &complete, problem);
}

// A loader that inflates a whole entry, checks its size and CRC, and keeps the data.
Storage::Loader inflatingLoader(const QString& path, const ZipEntry& e, qint64 dataOffset,
                                qint64 dataSize) {
    return [path, e, dataOffset, dataSize](QByteArray& bytes, QString* error) {
        QByteArray all;
        bool complete = false;
        if (!inflateFileRange(path, e.dataOffset, e.compressedSize, e.uncompressedSize + 1, &all,
                              &complete, error))
            return false;
        if (!complete || all.size() != e.uncompressedSize) {
            *error = QStringLiteral("%1: record %2 inflates to %3 bytes, the directory says %4")
                         .arg(path, e.name)
                         .arg(all.size())
                         .arg(e.uncompressedSize);
            return false;
        }
        if (crc32Update(0, all.constData(), all.size()) != e.crc32) {
            *error = QStringLiteral("%1: record %2 fails its CRC-32 check").arg(path, e.name);
            return false;
        }
        bytes = all.mid(dataOffset, dataSize);
        return true;
    };
}

// Lists an array that cannot be read (an object array, a truncated record) as a
// tensor with that problem, its shape and dtype as far as its header gave them; a
// save copies its record as it is.
void addUnreadable(const QString& path, NpzEntryInfo* entry, const QString& problem,
                   WeightFile* out) {
    entry->unreadable = true;
    const NpyHeader& h = entry->array.header;
    auto t = std::make_shared<Tensor>();
    t->name = entry->zip.name.chopped(4);
    t->dtype = h.dtype;
    bool sane = true;
    int64_t n = 1;
    for (int64_t d : h.shape) {
        sane = sane && d >= 0 && (d == 0 || n <= kMaxElements / d);
        if (sane) n *= d;
    }
    t->setContiguousShape(sane ? h.shape : std::vector<int64_t>{}); // absurd: not shown
    t->problem = problem;
    const QString message =
        QStringLiteral("%1: array %2 cannot be read: %3").arg(path, entry->zip.name, problem);
    t->storage = Storage::fromLoader(
        [message](QByteArray&, QString* error) {
            *error = message;
            return false;
        },
        qint64(t->numel()) * dtypeSize(t->dtype), entry->zip.name);
    entry->tensorIndex = int(out->tensors.size());
    out->tensors.push_back(std::move(t));
}

bool readNpzEntry(const QString& path, QIODevice& file, NpzEntryInfo* entry, WeightFile* out,
                  QString* problem) {
    const ZipEntry& e = entry->zip;
    if (e.method != 0 && e.method != 8) {
        *problem = QStringLiteral("uses compression method %1; only stored and deflated records "
                                  "are supported")
                       .arg(e.method);
        return false;
    }
    if (e.method == 0 && e.compressedSize != e.uncompressedSize) {
        *problem = QStringLiteral("is stored but its sizes differ (%1 and %2)")
                       .arg(e.compressedSize)
                       .arg(e.uncompressedSize);
        return false;
    }
    if (e.method == 8 && e.uncompressedSize / kMaxDeflateRatio > e.compressedSize + 64) {
        *problem = QStringLiteral("claims %1 bytes from %2 compressed bytes")
                       .arg(e.uncompressedSize)
                       .arg(e.compressedSize);
        return false;
    }
    QByteArray head;
    if (!entryPrefix(path, file, e, 12, &head, problem)) {
        if (problem->isEmpty()) *problem = QStringLiteral("cannot be read");
        return false;
    }
    const qint64 headerSize = npyHeaderSize(head, problem);
    if (headerSize < 0) return false;
    if (headerSize > e.uncompressedSize ||
        !entryPrefix(path, file, e, headerSize, &head, problem) || head.size() != headerSize) {
        *problem = QStringLiteral("header runs past the end of the record");
        return false;
    }
    NpyArrayInfo& a = entry->array;
    if (!parseNpyHeader(head, &a.header, problem)) return false;
    const NpyHeader& h = a.header;
    if (h.dataSize() > e.uncompressedSize - h.dataOffset) {
        *problem = QStringLiteral("truncated: needs %1 bytes of data but the record holds %2 "
                                  "after its header")
                       .arg(h.dataSize())
                       .arg(e.uncompressedSize - h.dataOffset);
        return false;
    }
    a.headerBytes = head;
    a.trailing = e.uncompressedSize - h.dataOffset - h.dataSize();
    const QString name = e.name.chopped(4);
    std::shared_ptr<Storage> storage;
    if (e.method == 0) {
        storage = rangeStorage(path, e.dataOffset + h.dataOffset, h, e.name);
    } else {
        Storage::Loader loader = inflatingLoader(path, e, h.dataOffset, h.dataSize());
        if (h.bigEndian) loader = swapping(loader, h.dtype);
        storage = Storage::fromLoader(loader, h.dataSize(), e.name);
    }
    entry->tensorIndex = int(out->tensors.size());
    out->tensors.push_back(makeTensor(name, h, std::move(storage)));
    return true;
}

std::unique_ptr<WeightFile> readNpz(const QString& path, QIODevice& file, QString* error,
                                    const ProgressFn& progress) {
    ZipArchive zip;
    QString problem;
    if (!zip.open(file, &problem)) {
        *error = QStringLiteral("%1: %2").arg(path, problem);
        return nullptr;
    }
    auto state = std::make_shared<NumpyState>();
    state->isNpz = true;
    auto out = std::make_unique<WeightFile>();
    out->formatName = QStringLiteral("NumPy archive (.npz)");
    const auto& entries = zip.entries();
    for (size_t i = 0; i < entries.size(); ++i) {
        NpzEntryInfo entry;
        if (!readZipRecord(file, entries[i], &entry, &problem)) {
            *error = QStringLiteral("%1: %2").arg(path, problem);
            return nullptr;
        }
        const ZipEntry& e = entry.zip;
        if (e.name.endsWith(QLatin1String(".npy")) && e.name.size() > 4) {
            problem.clear();
            if (!readNpzEntry(path, file, &entry, out.get(), &problem))
                addUnreadable(path, &entry, problem, out.get());
        } else
            out->otherEntries << QStringLiteral("%1: not a .npy array (kept as is)").arg(e.name);
        state->entries.push_back(std::move(entry));
        if (progress) progress(double(i + 1) / double(entries.size()));
    }
    out->state = state;
    return out;
}

} // namespace

int NumpyFormat::probe(const QByteArray& head, const QString& path) const {
    if (hasNpyMagic(head)) return 2;
    if (head.startsWith("PK\x03\x04") && head.size() >= 30) {
        const int nameLen = uchar(head[26]) | (uchar(head[27]) << 8);
        // Certain, beating other zip-based formats (an .npz entry "a/b.npy" looks
        // like a PyTorch record under a top folder).
        if (head.mid(30, nameLen).endsWith(".npy") && head.size() >= 30 + nameLen) return 3;
    }
    const QString suffix = QFileInfo(path).suffix().toLower();
    return suffix == QLatin1String("npy") || suffix == QLatin1String("npz") ? 1 : 0;
}

std::unique_ptr<WeightFile> NumpyFormat::read(const QString& path, QString* error,
                                              const ProgressFn& progress) const {
    QString dummy;
    QString* err = error ? error : &dummy;
    if (progress) progress(0.0);
    std::unique_ptr<WeightFile> out;
    if (isUrl(path)) { // the .npz's zip directory read by range from the end
        const ByteSourcePtr source = openByteSource(path, err);
        if (!source) return nullptr;
        QByteArray magic(qsizetype(std::min<qint64>(source->size(), 6)), Qt::Uninitialized);
        if (!source->read(0, magic.size(), magic.data(), err)) return nullptr;
        if (hasNpyMagic(magic)) {
            out = readNpy(path, source, err);
        } else if (magic.startsWith("PK")) {
            ByteSourceDevice device(source);
            out = readNpz(path, device, err, progress);
            if (!out && !device.readError().isEmpty()) *err = device.readError();
        } else {
            *err = QStringLiteral("%1: neither a .npy array nor an .npz archive").arg(path);
        }
    } else {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            *err = QStringLiteral("%1: cannot open: %2").arg(path, file.errorString());
            return nullptr;
        }
        const QByteArray magic = file.peek(6);
        if (hasNpyMagic(magic)) {
            const ByteSourcePtr source = openLocalFile(path, err);
            if (source) out = readNpy(path, source, err);
        } else if (magic.startsWith("PK")) {
            out = readNpz(path, file, err, progress);
        } else {
            *err = QStringLiteral("%1: neither a .npy array nor an .npz archive").arg(path);
        }
    }
    if (out) {
        out->path = path;
        out->formatId = id();
        out->format = this;
        for (const TensorPtr& t : out->tensors) {
            const QString problem = t->validate();
            if (!problem.isEmpty()) {
                *err = QStringLiteral("%1: %2").arg(path, problem);
                return nullptr;
            }
        }
    }
    if (out && progress) progress(1.0);
    return out;
}

bool NumpyFormat::write(const WeightFile& file, QIODevice* out, QString* error) const {
    if (auto state = std::dynamic_pointer_cast<NumpyState>(file.state))
        return writeNumpyFaithful(file, *state, out, error);
    return writeNpzConverted(file, out, error);
}

} // namespace ws
