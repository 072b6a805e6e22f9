// The legacy (pre-1.6) PyTorch format: five pickles (magic number, protocol
// version, sys info, the object, the storage keys), then per key an int64
// element count and the raw bytes. Storage offsets are found by seeking from
// count field to count field; the data bytes themselves are never read here.
#include "PyTorchLegacy.h"
#include "Pickle.h"
#include "PyTorchObjects.h"
#include "PyTorchZipState.h"

#include <QFile>
#include <unordered_map>

namespace ws {

namespace {

const char kMagic[] = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";
constexpr qint64 kMaxPickleBytes = qint64(1) << 30;

// Reads the pickles at the start of the file, growing the buffer while they run
// past it. Returns the five roots, the offset after the last one and the bytes of
// the object pickle.
bool parsePickles(QFile& file, PickleDocument* doc, PickleValue* roots[5], qint64* end,
                  QByteArray* objectPickle, QString* error) {
    const qint64 fileSize = file.size();
    qint64 want = std::min<qint64>(fileSize, 1 << 20);
    for (;;) {
        if (!file.seek(0)) {
            *error = QStringLiteral("cannot seek");
            return false;
        }
        const QByteArray buf = file.read(want);
        qint64 pos = 0;
        bool truncated = false;
        QString why;
        int i = 0;
        for (; i < 5; ++i) {
            const qint64 start = pos;
            roots[i] = doc->parse(buf.constData(), buf.size(), pos, &pos, &why, &truncated);
            if (!roots[i]) break;
            if (i == 3) *objectPickle = buf.mid(start, pos - start);
        }
        if (i == 5) {
            *end = pos;
            return true;
        }
        static const char* names[] = {"magic number", "protocol version", "system info", "object",
                                      "storage keys"};
        if (!truncated || want >= fileSize || want >= kMaxPickleBytes) {
            *error = QStringLiteral("legacy %1 pickle %2").arg(QLatin1String(names[i]), why);
            return false;
        }
        want = std::min<qint64>(std::min(fileSize, kMaxPickleBytes), want * 4);
        doc->clear();
    }
}

} // namespace

bool isLegacyPyTorch(const QByteArray& head) {
    // protocol 2 starts with the magic LONG1 right away; protocol 4+ puts a FRAME first
    if (head.isEmpty() || uchar(head[0]) != 0x80) return false;
    const int at = head.left(32).indexOf(QByteArray(kMagic + 2, 12));
    return at == 2 || (at == 11 && uchar(head[2]) == 0x95);
}

std::unique_ptr<WeightFile> readLegacyPyTorch(QFile& file, const QString& path, QString* error) {
    PickleDocument doc;
    PickleValue* roots[5] = {};
    qint64 pos = 0;
    QByteArray objectPickle;
    if (!parsePickles(file, &doc, roots, &pos, &objectPickle, error)) return nullptr;
    if (roots[1]->kind != PickleValue::Kind::Int || roots[1]->intValue != 1001) {
        *error = QStringLiteral("legacy protocol version is not 1001");
        return nullptr;
    }
    if (const PickleValue* le = roots[2]->get("little_endian")) {
        if (le->kind == PickleValue::Kind::Bool && !le->boolValue) {
            *error = QStringLiteral("big-endian legacy checkpoints are not supported");
            return nullptr;
        }
    }
    const PickleValue* keys = roots[4];
    if (!keys->isSequence()) {
        *error = QStringLiteral("legacy storage key list is not a list");
        return nullptr;
    }
    // Element size of every storage key, from the persistent ids.
    std::unordered_map<QString, PyTorchStorageRef> refs;
    for (const PickleValue& v : doc.values()) {
        if (v.kind != PickleValue::Kind::PersistentId) continue;
        PyTorchStorageRef ref;
        QString why;
        if (!parsePyTorchStorageRef(v.args, &ref, &why)) continue; // reported when used
        if (!ref.unsupportedClass.isEmpty()) {
            *error = QStringLiteral("storage %1 has the unsupported class %2, so the storages "
                                    "after it cannot be located")
                         .arg(ref.key, ref.unsupportedClass);
            return nullptr;
        }
        auto it = refs.find(ref.key);
        if (it != refs.end() &&
            (it->second.dtype != ref.dtype || it->second.untyped != ref.untyped)) {
            *error = QStringLiteral("storage %1 is declared with two different types").arg(ref.key);
            return nullptr;
        }
        refs.emplace(ref.key, ref);
    }
    auto state = std::make_shared<PyTorchZipState>();
    state->legacy = true;
    state->dataPkl = objectPickle;
    std::unordered_map<QString, size_t> recordOf;
    const qint64 fileSize = file.size();
    for (const PickleValue* k : keys->items) {
        if (!k->isString()) {
            *error = QStringLiteral("legacy storage key is not a string");
            return nullptr;
        }
        const QString key = QString::fromUtf8(k->text);
        auto ref = refs.find(key);
        if (ref == refs.end()) {
            *error = QStringLiteral("storage %1 is listed but never used, so its size is unknown")
                         .arg(key);
            return nullptr;
        }
        QByteArray countBytes;
        if (pos > fileSize - 8 || !file.seek(pos) || (countBytes = file.read(8)).size() != 8) {
            *error = QStringLiteral("storage %1: element count at byte %2 is past the end of "
                                    "the file")
                         .arg(key)
                         .arg(pos);
            return nullptr;
        }
        qint64 count = 0;
        for (int i = 7; i >= 0; --i)
            count = (count << 8) | uchar(countBytes[i]);
        const int es = ref->second.untyped ? 1 : dtypeSize(ref->second.dtype);
        const qint64 room = fileSize - pos - 8;
        if (count < 0 || count > room / es) {
            *error = QStringLiteral("storage %1 at byte %2 claims %3 elements but only %4 bytes "
                                    "remain")
                         .arg(key)
                         .arg(pos)
                         .arg(count)
                         .arg(room);
            return nullptr;
        }
        PyTorchRecord r;
        r.name = key;
        r.storageKey = key;
        r.dataOffset = pos + 8;
        r.compressedSize = r.uncompressedSize = count * es;
        if (recordOf.count(key)) {
            *error = QStringLiteral("storage %1 is listed twice").arg(key);
            return nullptr;
        }
        recordOf[key] = state->records.size();
        state->records.push_back(r);
        pos = r.dataOffset + r.uncompressedSize;
    }
    auto out = std::make_unique<WeightFile>();
    out->formatName = QStringLiteral("PyTorch legacy checkpoint");
    std::unordered_map<QString, std::shared_ptr<Storage>> storages;
    auto resolver = [&](const PyTorchStorageRef& ref,
                        QString* problem) -> std::shared_ptr<Storage> {
        const auto rec = recordOf.find(ref.key);
        if (rec == recordOf.end()) {
            *problem = QStringLiteral("storage %1 is not in the file's key list").arg(ref.key);
            return nullptr;
        }
        const PyTorchRecord& r = state->records[rec->second];
        auto it = storages.find(ref.key);
        if (it == storages.end())
            it = storages
                     .emplace(ref.key, Storage::fromFileRange(path, r.dataOffset,
                                                              r.uncompressedSize, ref.key))
                     .first;
        if (r.uncompressedSize < ref.byteSize())
            *problem = QStringLiteral("storage %1 holds %2 bytes but needs %3")
                           .arg(ref.key)
                           .arg(r.uncompressedSize)
                           .arg(ref.byteSize());
        return it->second;
    };
    QString why;
    if (!collectPyTorchTensors(roots[3], doc.valueCount(), resolver, out.get(), &why)) {
        *error = QStringLiteral("legacy object pickle: %1").arg(why);
        return nullptr;
    }
    out->state = state;
    return out;
}

} // namespace ws
