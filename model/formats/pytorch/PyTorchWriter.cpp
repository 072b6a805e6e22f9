// PyTorch checkpoint writing on top of ZipWriter. Records are written in the
// order PyTorch uses (data.pkl, data/<key>..., version) or, for an edited zip
// checkpoint, in the original order with the original bytes where unedited.
#include "PyTorchWriter.h"
#include "Pickle.h"
#include "PyTorchZipState.h"
#include "TensorBytes.h"
#include "ZipWriter.h"

#include <QFile>
#include <QHash>
#include <QtEndian>

namespace ws {

namespace {

using DataFn = std::function<bool(QIODevice*, QString*)>;

DataFn bytesWriter(const QByteArray& bytes, const QString& what) {
    return [bytes, what](QIODevice* out, QString* error) {
        return writeAll(out, bytes.constData(), bytes.size(), what, error);
    };
}

// A small record made in memory (data.pkl, version).
bool addBytesRecord(ZipWriter& zip, const QString& name, const QByteArray& bytes, QString* error) {
    return zip.addRecord(name, bytes.size(), crc32Update(0, bytes.constData(), bytes.size()),
                         bytesWriter(bytes, name), error);
}

QHash<QString, std::shared_ptr<Storage>> storagesByKey(const WeightFile& file) {
    QHash<QString, std::shared_ptr<Storage>> out;
    for (const TensorPtr& t : file.tensors)
        if (t->storage) out.insert(t->storage->key(), t->storage);
    return out;
}

// Writes one storage record: its edited bytes, or a copy from the source file.
bool addStorage(ZipWriter& zip, const QString& name, const WeightFile& file,
                const std::shared_ptr<Storage>& s, const PyTorchRecord* rec, QString* error) {
    if (!s && !rec) {
        *error = QStringLiteral("%1: no data for record %2").arg(file.path, name);
        return false;
    }
    if (s && (s->isDirty() || !rec || rec->crc32 == 0)) {
        // Streamed twice (the CRC goes in the header first): never held whole.
        quint32 crc = 0;
        QString err;
        if (!streamStorage(
                *s,
                [&](const char* data, qint64 n, QString*) {
                    crc = crc32Update(crc, data, n);
                    return true;
                },
                &err)) {
            *error = QStringLiteral("%1: %2").arg(file.path, err);
            return false;
        }
        auto data = [s](QIODevice* dev, QString* e) { return writeStorageBytes(*s, dev, e); };
        return zip.addRecord(name, s->byteSize(), crc, data, error);
    }
    const QString src = file.path;
    const qint64 offset = rec->dataOffset, size = rec->uncompressedSize;
    return zip.addRecord(
        name, size, rec->crc32,
        [src, offset, size](QIODevice* out, QString* err) {
            return copyFileRange(src, offset, size, out, err);
        },
        error);
}

// A record copied as the file holds it: compressed records (TorchScript's code) keep
// their compressed bytes, CRC and sizes.
bool addVerbatim(ZipWriter& zip, const WeightFile& file, const PyTorchRecord& r, QString* error) {
    const QString src = file.path;
    const qint64 offset = r.dataOffset, size = r.compressedSize;
    return zip.addRawRecord(
        r.name, r.method, r.compressedSize, r.uncompressedSize, r.crc32,
        [src, offset, size](QIODevice* out, QString* err) {
            return copyFileRange(src, offset, size, out, err);
        },
        error);
}

bool writeEditedZip(const WeightFile& file, const PyTorchZipState& state, QIODevice* out,
                    QString* error) {
    const auto storages = storagesByKey(file);
    ZipWriter zip(out);
    for (const PyTorchRecord& r : state.records) {
        std::shared_ptr<Storage> s;
        if (!r.storageKey.isEmpty()) s = storages.value(QStringLiteral("data/") + r.storageKey);
        const bool compressed = r.method != 0 || r.compressedSize != r.uncompressedSize;
        // an edited storage is written stored; every other record as it was
        const bool ok = compressed && !(s && s->isDirty())
                            ? addVerbatim(zip, file, r, error)
                            : addStorage(zip, r.name, file, s, &r, error);
        if (!ok) return false;
    }
    return zip.finish(error);
}

bool writeLegacyAsZip(const WeightFile& file, const PyTorchZipState& state, QIODevice* out,
                      QString* error) {
    QByteArray pkl;
    QString why;
    if (!legacyPickleToZip(state.dataPkl, &pkl, &why)) {
        *error = QStringLiteral("%1: cannot convert the legacy checkpoint: %2").arg(file.path, why);
        return false;
    }
    PickleDocument check; // what we write must at least parse
    if (!check.parse(pkl.constData(), pkl.size(), 0, nullptr, &why)) {
        *error = QStringLiteral("%1: converting the legacy checkpoint made a pickle that does not "
                                "read back (%2)")
                     .arg(file.path, why);
        return false;
    }
    const auto storages = storagesByKey(file);
    ZipWriter zip(out);
    const QString top = QStringLiteral("archive/");
    if (!addBytesRecord(zip, top + QStringLiteral("data.pkl"), pkl, error)) return false;
    for (const PyTorchRecord& r : state.records) {
        PyTorchRecord copy = r;
        copy.crc32 = 0; // unknown for legacy blocks: computed from the bytes
        // storages no listed tensor holds (per-channel scales, sparse indices) too
        std::shared_ptr<Storage> s = storages.value(r.storageKey);
        if (!s) s = Storage::fromFileRange(file.path, r.dataOffset, r.uncompressedSize, r.name);
        if (!addStorage(zip, top + QStringLiteral("data/") + r.storageKey, file, s, &copy, error))
            return false;
    }
    if (!addBytesRecord(zip, top + QStringLiteral("version"), QByteArray("3\n"), error))
        return false;
    return zip.finish(error);
}

// Any other file: a state_dict with one storage per distinct storage.
bool writeStateDict(const WeightFile& file, QIODevice* out, QString* error) {
    std::vector<QString> keys;
    QHash<const Storage*, QString> keyOf;
    std::vector<TensorPtr> owners; // the first tensor of each storage
    for (const TensorPtr& t : file.tensors) {
        if (t->encoding) {
            *error = QStringLiteral("%1: tensor %2 is %3; a PyTorch checkpoint of it cannot be "
                                    "written")
                         .arg(file.path, t->name, t->typeName());
            return false;
        }
        const QString problem = t->validate();
        if (!problem.isEmpty()) {
            *error = QStringLiteral("%1: %2").arg(file.path, problem);
            return false;
        }
        auto it = keyOf.find(t->storage.get());
        if (it == keyOf.end()) {
            it = keyOf.insert(t->storage.get(), QString::number(keyOf.size()));
            owners.push_back(t);
        }
        keys.push_back(it.value());
    }
    const QByteArray pkl = stateDictPickle(file, keys);
    if (pkl.isEmpty()) {
        *error = QStringLiteral("%1: a tensor's type has no PyTorch storage class").arg(file.path);
        return false;
    }
    ZipWriter zip(out);
    const QString top = QStringLiteral("archive/");
    if (!addBytesRecord(zip, top + QStringLiteral("data.pkl"), pkl, error)) return false;
    for (const TensorPtr& t : owners) {
        if (!addStorage(zip, top + QStringLiteral("data/") + keyOf.value(t->storage.get()), file,
                        t->storage, nullptr, error))
            return false;
    }
    if (!addBytesRecord(zip, top + QStringLiteral("version"), QByteArray("3\n"), error))
        return false;
    return zip.finish(error);
}

} // namespace

bool writePyTorch(const WeightFile& file, QIODevice* out, QString* error) {
    auto* state = dynamic_cast<const PyTorchZipState*>(file.state.get());
    if (state && file.formatId == QLatin1String("pytorch")) {
        if (state->legacy) return writeLegacyAsZip(file, *state, out, error);
        return writeEditedZip(file, *state, out, error);
    }
    return writeStateDict(file, out, error);
}

} // namespace ws
