// PyTorch zip checkpoints: the top folder comes from the first entry, data.pkl is
// parsed by our non-executing pickle reader, and each data/<key> record becomes a
// lazily loaded file range. The legacy format is in PyTorchLegacy.cpp.
#include "PyTorchFormat.h"
#include "Deflate.h"
#include "Pickle.h"
#include "PyTorchLegacy.h"
#include "PyTorchObjects.h"
#include "PyTorchZipState.h"
#include "ZipArchive.h"
#include "ZipWriter.h"

#include <QFile>
#include <QFileInfo>
#include <unordered_map>

namespace ws {

namespace {

constexpr qint64 kMaxPickleSize = qint64(1) << 30;

// Deflated storage records (PyTorch never writes them, other zip tools may).
Storage::Loader inflatingLoader(const QString& path, const PyTorchRecord& r) {
    return [path, r](QByteArray& bytes, QString* error) {
        bool complete = false;
        if (!inflateFileRange(path, r.dataOffset, r.compressedSize, r.uncompressedSize + 1, &bytes,
                              &complete, error))
            return false;
        if (!complete || bytes.size() != r.uncompressedSize) {
            *error = QStringLiteral("%1: record %2 inflates to %3 bytes, the directory says %4")
                         .arg(path, r.name)
                         .arg(bytes.size())
                         .arg(r.uncompressedSize);
            return false;
        }
        if (crc32Update(0, bytes.constData(), bytes.size()) != r.crc32) {
            *error = QStringLiteral("%1: record %2 fails its CRC-32 check").arg(path, r.name);
            return false;
        }
        return true;
    };
}

// data.pkl, stored or deflated.
bool readRecord(const QString& path, QFile& file, const ZipArchive& zip, const ZipEntry& e,
                QByteArray* out, QString* error) {
    if (e.method != 8) return zip.read(file, e, kMaxPickleSize, out, error);
    if (e.uncompressedSize > kMaxPickleSize) {
        *error =
            QStringLiteral("record %1 is too large (%2 bytes)").arg(e.name).arg(e.uncompressedSize);
        return false;
    }
    bool complete = false;
    QString why;
    if (!inflateFileRange(path, e.dataOffset, e.compressedSize, e.uncompressedSize + 1, out,
                          &complete, &why) ||
        !complete || out->size() != e.uncompressedSize) {
        *error = QStringLiteral("record %1 does not inflate to its %2 bytes %3")
                     .arg(e.name)
                     .arg(e.uncompressedSize)
                     .arg(why);
        return false;
    }
    return true;
}

std::unique_ptr<WeightFile> readZip(QFile& file, const QString& path, QString* error) {
    ZipArchive zip;
    QString why;
    if (!zip.open(file, &why)) {
        *error = why;
        return nullptr;
    }
    if (zip.entries().empty()) {
        *error = QStringLiteral("the zip archive is empty");
        return nullptr;
    }
    const QString first = zip.entries().front().name;
    const int slash = first.indexOf(QLatin1Char('/'));
    if (slash <= 0) {
        *error = QStringLiteral("record %1 is not inside a top folder").arg(first);
        return nullptr;
    }
    const QString top = first.left(slash + 1);
    const int pklIndex = zip.find(top + QStringLiteral("data.pkl"));
    if (pklIndex < 0) {
        *error = QStringLiteral("no %1data.pkl in the archive").arg(top);
        return nullptr;
    }
    if (zip.find(top + QStringLiteral("version")) < 0 &&
        zip.find(top + QStringLiteral(".data/version")) < 0) {
        *error = QStringLiteral("no %1version record in the archive").arg(top);
        return nullptr;
    }
    auto state = std::make_shared<PyTorchZipState>();
    state->topFolder = top.left(slash);
    if (!readRecord(path, file, zip, zip.entries()[size_t(pklIndex)], &state->dataPkl, &why)) {
        *error = why;
        return nullptr;
    }
    const QString dataPrefix = top + QStringLiteral("data/");
    std::unordered_map<QString, size_t> recordOf;
    for (const ZipEntry& e : zip.entries()) {
        PyTorchRecord r;
        r.name = e.name;
        r.localHeaderOffset = e.localHeaderOffset;
        r.dataOffset = e.dataOffset;
        r.compressedSize = e.compressedSize;
        r.uncompressedSize = e.uncompressedSize;
        r.crc32 = e.crc32;
        r.method = e.method;
        if (e.name.startsWith(dataPrefix)) {
            r.storageKey = e.name.mid(dataPrefix.size());
            recordOf[r.storageKey] = state->records.size();
        }
        state->records.push_back(r);
    }

    PickleDocument doc;
    qint64 end = 0;
    const QByteArray& pkl = state->dataPkl;
    PickleValue* root = doc.parse(pkl.constData(), pkl.size(), 0, &end, &why);
    if (!root) {
        *error = QStringLiteral("data.pkl %1").arg(why);
        return nullptr;
    }
    auto out = std::make_unique<WeightFile>();
    out->formatName = QStringLiteral("PyTorch zip checkpoint");
    std::unordered_map<QString, std::shared_ptr<Storage>> storages;
    auto resolver = [&](const PyTorchStorageRef& ref, QString* err) -> std::shared_ptr<Storage> {
        auto it = storages.find(ref.key);
        const auto rec = recordOf.find(ref.key);
        const QString recName = QStringLiteral("data/") + ref.key;
        if (rec == recordOf.end()) {
            *err = QStringLiteral("data.pkl references storage %1 but the archive has no such "
                                  "record")
                       .arg(recName);
            return nullptr;
        }
        const PyTorchRecord& r = state->records[rec->second];
        if (r.method != 0 && r.method != 8) {
            *err = QStringLiteral("record %1 uses compression method %2; only stored and "
                                  "deflated records are supported")
                       .arg(recName)
                       .arg(r.method);
            return nullptr;
        }
        if ((r.method == 0 && r.compressedSize != r.uncompressedSize) ||
            r.uncompressedSize < ref.byteSize()) {
            *err = QStringLiteral("record %1 holds %2 bytes but its storage needs %3")
                       .arg(recName)
                       .arg(r.uncompressedSize)
                       .arg(ref.byteSize());
            return nullptr;
        }
        if (it != storages.end()) return it->second;
        auto s = r.method == 0
                     ? Storage::fromFileRange(path, r.dataOffset, r.uncompressedSize, recName)
                     : Storage::fromLoader(inflatingLoader(path, r), r.uncompressedSize, recName);
        storages.emplace(ref.key, s);
        return s;
    };
    if (!collectPyTorchTensors(root, doc.valueCount(), resolver, out.get(), &why)) {
        *error = QStringLiteral("data.pkl: %1").arg(why);
        return nullptr;
    }
    out->state = state;
    return out;
}

} // namespace

QStringList PyTorchFormat::nameFilters() const {
    return {QStringLiteral("*.pt"), QStringLiteral("*.pth"), QStringLiteral("*.bin"),
            QStringLiteral("*.tar"), QStringLiteral("*.ckpt")};
}

int PyTorchFormat::probe(const QByteArray& head, const QString& path) const {
    if (isLegacyPyTorch(head)) return 2;
    if (head.startsWith("PK\x03\x04")) {
        // a zip whose first record is <top>/<something>: PyTorch's layout
        if (head.size() >= 30) {
            const int nameLen = uchar(head[26]) | (uchar(head[27]) << 8);
            const QByteArray name = head.mid(30, nameLen);
            if (name.indexOf('/') > 0) return 2;
        }
        return 1;
    }
    const QString suffix = QFileInfo(path).suffix().toLower();
    for (const char* s : {"pt", "pth", "ckpt"})
        if (suffix == QLatin1String(s)) return 1;
    return 0;
}

std::unique_ptr<WeightFile> PyTorchFormat::read(const QString& path, QString* error,
                                                const ProgressFn& progress) const {
    QString dummy;
    QString* err = error ? error : &dummy;
    if (progress) progress(0.0);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *err = QStringLiteral("%1: cannot open: %2").arg(path, file.errorString());
        return nullptr;
    }
    const QByteArray head = file.read(64);
    QString why;
    std::unique_ptr<WeightFile> out;
    if (head.startsWith("PK\x03\x04")) {
        out = readZip(file, path, &why);
    } else if (isLegacyPyTorch(head)) {
        out = readLegacyPyTorch(file, path, &why);
    } else {
        why = QStringLiteral("not a PyTorch checkpoint (neither a zip archive nor the legacy "
                             "format)");
    }
    if (!out) {
        *err = QStringLiteral("%1: %2").arg(path, why);
        return nullptr;
    }
    out->path = path;
    out->formatId = id();
    out->format = this;
    if (progress) progress(1.0);
    return out;
}

} // namespace ws
