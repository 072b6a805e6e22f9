// PyTorch zip checkpoints and TorchScript archives: the top folder comes from the
// first entry, data.pkl is parsed by our non-executing pickle reader, and each
// data/<key> record becomes a lazily loaded file range. A record that is missing,
// shorter than its storage or fails its CRC-32 damages only the tensors on it.
// TorchScript's code records tell parameters from buffers.
#include "PyTorchZip.h"
#include "ByteSourceDevice.h"
#include "Deflate.h"
#include "Pickle.h"
#include "PyTorchObjects.h"
#include "PyTorchZipState.h"
#include "ZipArchive.h"
#include "ZipWriter.h"

#include <QFile>
#include <QRegularExpression>
#include <unordered_map>

namespace ws {

namespace {

constexpr qint64 kMaxPickleSize = qint64(1) << 30;
/// Stored storage records are CRC-checked at open while their total stays below this
/// (reading more would make opening a large checkpoint slow; torch checks none).
constexpr qint64 kCrcCheckBudget = qint64(16) << 20;
/// Code records read for TorchScript's __parameters__, each and in total.
constexpr qint64 kMaxCodeRecord = qint64(16) << 20, kMaxCodeTotal = qint64(64) << 20;

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

// A record's bytes, stored or deflated, up to \a limit bytes.
bool readRecord(const QString& path, QIODevice& file, const ZipArchive& zip, const ZipEntry& e,
                qint64 limit, QByteArray* out, QString* error) {
    if (e.method != 8) return zip.read(file, e, limit, out, error);
    if (e.uncompressedSize > limit) {
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

// CRC-32 of \a size bytes at \a offset of \a file; false when they cannot be read.
bool crcOfRange(QIODevice& file, qint64 offset, qint64 size, quint32* crc) {
    if (!file.seek(offset)) return false;
    QByteArray buf;
    quint32 c = 0;
    for (qint64 left = size; left > 0;) {
        buf = file.read(std::min<qint64>(left, qint64(1) << 20));
        if (buf.isEmpty()) return false;
        c = crc32Update(c, buf.constData(), buf.size());
        left -= buf.size();
    }
    *crc = c;
    return true;
}

// TorchScript: "class Net(Module):" blocks and their "__parameters__ = ["w", ]" lines,
// keyed by the class's qualified name (the code record's path names its module).
void readScriptParameters(const QString& path, QIODevice& file, const ZipArchive& zip,
                          const QString& top, PyTorchWalkOptions* options) {
    static const QRegularExpression classLine(QStringLiteral("^class\\s+(\\w+)\\s*[(:]"));
    static const QRegularExpression paramLine(
        QStringLiteral("^\\s+__parameters__\\s*=\\s*\\[(.*)\\]"));
    static const QRegularExpression quoted(QStringLiteral("\"([^\"]*)\"|'([^']*)'"));
    const QString codePrefix = top + QStringLiteral("code/");
    qint64 total = 0;
    for (const ZipEntry& e : zip.entries()) {
        if (!e.name.startsWith(codePrefix) || !e.name.endsWith(QLatin1String(".py"))) continue;
        total += e.uncompressedSize;
        QByteArray text;
        QString why;
        if (total > kMaxCodeTotal || !readRecord(path, file, zip, e, kMaxCodeRecord, &text, &why))
            continue; // without it, tensors are listed as buffers
        QString module = e.name.mid(codePrefix.size());
        module.chop(3);
        module.replace(QLatin1Char('/'), QLatin1Char('.'));
        QString cls;
        for (const QString& line : QString::fromUtf8(text).split(QLatin1Char('\n'))) {
            const auto c = classLine.match(line);
            if (c.hasMatch()) {
                cls = module + QLatin1Char('.') + c.captured(1);
                continue;
            }
            const auto p = paramLine.match(line);
            if (!p.hasMatch() || cls.isEmpty()) continue;
            QSet<QString>& names = options->parametersOf[cls];
            auto it = quoted.globalMatch(p.captured(1));
            while (it.hasNext()) {
                const auto m = it.next();
                names.insert(m.captured(1).isEmpty() ? m.captured(2) : m.captured(1));
            }
        }
    }
}

} // namespace

std::unique_ptr<WeightFile> readPyTorchZip(QIODevice& file, const QString& path, QString* error) {
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
    // A URL: storages are ranges of the source the archive was read through.
    const auto* device = dynamic_cast<const ByteSourceDevice*>(&file);
    const ByteSourcePtr remote = device ? device->source() : ByteSourcePtr();
    if (!readRecord(path, file, zip, zip.entries()[size_t(pklIndex)], kMaxPickleSize,
                    &state->dataPkl, &why)) {
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
        if (e.name.startsWith(top + QStringLiteral("code/")) ||
            e.name == top + QStringLiteral("constants.pkl"))
            state->torchScript = true;
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
    out->formatName = state->torchScript ? QStringLiteral("TorchScript archive")
                                         : QStringLiteral("PyTorch zip checkpoint");
    PyTorchWalkOptions options;
    if (state->torchScript) readScriptParameters(path, file, zip, top, &options);
    std::unordered_map<QString, std::shared_ptr<Storage>> storages;
    std::unordered_map<QString, QString> crcProblems; // storage key -> problem ("" if fine)
    // (not for a URL: the check would fetch up to the budget before anything is shown)
    qint64 crcBudget = remote ? 0 : kCrcCheckBudget;
    auto resolver = [&](const PyTorchStorageRef& ref,
                        QString* problem) -> std::shared_ptr<Storage> {
        const auto rec = recordOf.find(ref.key);
        const QString recName = QStringLiteral("data/") + ref.key;
        if (rec == recordOf.end()) {
            *problem = QStringLiteral("data.pkl references storage %1 but the archive has no such "
                                      "record")
                           .arg(recName);
            return nullptr;
        }
        const PyTorchRecord& r = state->records[rec->second];
        if (r.method != 0 && r.method != 8) {
            *problem = QStringLiteral("record %1 uses compression method %2; only stored and "
                                      "deflated records are supported")
                           .arg(recName)
                           .arg(r.method);
            return nullptr;
        }
        auto it = storages.find(ref.key);
        if (it == storages.end()) {
            auto s =
                r.method != 0
                    ? Storage::fromLoader(inflatingLoader(path, r), r.uncompressedSize, recName)
                : remote ? Storage::fromSource(remote, r.dataOffset, r.uncompressedSize, recName)
                         : Storage::fromFileRange(path, r.dataOffset, r.uncompressedSize, recName);
            it = storages.emplace(ref.key, s).first;
        }
        const int es = ref.untyped ? 1 : dtypeSize(ref.dtype);
        if (r.method == 0 && r.compressedSize != r.uncompressedSize) {
            *problem = QStringLiteral("stored record %1 has sizes %2 and %3 in the directory")
                           .arg(recName)
                           .arg(r.compressedSize)
                           .arg(r.uncompressedSize);
        } else if (r.uncompressedSize < ref.byteSize() && r.uncompressedSize % es != 0) {
            *problem = QStringLiteral("record %1 is truncated: it holds %2 bytes, not a whole "
                                      "number of %3-byte elements, and its storage needs %4")
                           .arg(recName)
                           .arg(r.uncompressedSize)
                           .arg(es)
                           .arg(ref.byteSize());
        } else if (r.uncompressedSize < ref.byteSize()) {
            *problem = QStringLiteral("storage %1 is out of range: data.pkl claims %2 elements "
                                      "(%3 bytes) but the record holds %4 bytes")
                           .arg(recName)
                           .arg(ref.numel)
                           .arg(ref.byteSize())
                           .arg(r.uncompressedSize);
        } else if (r.method == 0) {
            auto crc = crcProblems.find(ref.key);
            if (crc == crcProblems.end()) {
                QString result;
                quint32 actual = 0;
                if (r.uncompressedSize <= crcBudget) {
                    crcBudget -= r.uncompressedSize;
                    if (crcOfRange(file, r.dataOffset, r.uncompressedSize, &actual) &&
                        actual != r.crc32)
                        result = QStringLiteral("record %1 fails its CRC-32 check (the directory "
                                                "says %2, the bytes give %3)")
                                     .arg(recName)
                                     .arg(r.crc32, 8, 16, QLatin1Char('0'))
                                     .arg(actual, 8, 16, QLatin1Char('0'));
                }
                crc = crcProblems.emplace(ref.key, result).first;
            }
            *problem = crc->second;
        }
        return it->second;
    };
    if (!collectPyTorchTensors(root, doc.valueCount(), resolver, out.get(), &why, options)) {
        *error = QStringLiteral("data.pkl: %1").arg(why);
        return nullptr;
    }
    out->state = state;
    return out;
}

} // namespace ws
