// PyTorch checkpoints: detection and dispatch to the zip reader (PyTorchZip.cpp)
// or the legacy one (PyTorchLegacy.cpp).
#include "PyTorchFormat.h"
#include "ByteSourceDevice.h"
#include "PyTorchLegacy.h"
#include "PyTorchSharded.h"
#include "PyTorchZip.h"
#include "ShardIndex.h"

#include <QFile>
#include <QFileInfo>
#include <algorithm>

namespace ws {

namespace {

QString notPyTorch() {
    return QStringLiteral("not a PyTorch checkpoint (neither a zip archive nor the legacy format)");
}

} // namespace

QStringList PyTorchFormat::nameFilters() const {
    return {QStringLiteral("*.pt"),  QStringLiteral("*.pth"),  QStringLiteral("*.bin"),
            QStringLiteral("*.tar"), QStringLiteral("*.ckpt"), QStringLiteral("*.bin.index.json")};
}

int PyTorchFormat::probe(const QByteArray& head, const QString& path) const {
    if (shardIndexKind(head, path) == ShardIndexKind::PyTorch) return 3;
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
    QString why;
    std::unique_ptr<WeightFile> out;
    if (isUrl(path)) {
        out = readUrl(path, &why);
    } else {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            *err = QStringLiteral("%1: cannot open: %2").arg(path, file.errorString());
            return nullptr;
        }
        const QByteArray head = file.read(4096);
        if (shardIndexKind(head, path) == ShardIndexKind::PyTorch) {
            out = readShardedPyTorch(path, err, progress);
            if (!out) return nullptr;
        } else if (head.startsWith("PK\x03\x04")) {
            out = readPyTorchZip(file, path, &why);
        } else if (isLegacyPyTorch(head)) {
            out = readLegacyPyTorch(file, path, &why);
        } else {
            why = notPyTorch();
        }
    }
    if (!out) {
        *err = why.startsWith(path) ? why : QStringLiteral("%1: %2").arg(path, why);
        return nullptr;
    }
    out->path = path;
    out->formatId = id();
    out->format = this;
    if (progress) progress(1.0);
    return out;
}

std::unique_ptr<WeightFile> PyTorchFormat::readUrl(const QString& url, QString* why) const {
    // Zip checkpoints only: the central directory from the end, data.pkl, then each
    // tensor's range when it is shown. A legacy checkpoint is one pickle stream with
    // the storages after it (read whole to list), a .bin index names local shards.
    const ByteSourcePtr source = openByteSource(url, why);
    if (!source) return nullptr;
    ByteSourceDevice device(source);
    const QByteArray head = device.read(std::min<qint64>(4096, source->size()));
    if (head.startsWith("PK\x03\x04")) {
        auto out = readPyTorchZip(device, url, why);
        if (!out && !device.readError().isEmpty()) *why = device.readError();
        return out;
    }
    if (isLegacyPyTorch(head) || shardIndexKind(head, url) == ShardIndexKind::PyTorch)
        *why = QStringLiteral("only zip checkpoints (torch.save since PyTorch 1.6) can be opened "
                              "by URL; download this one and open it locally");
    else
        *why = notPyTorch();
    return nullptr;
}

bool PyTorchFormat::save(const WeightFile& file, const QString& path, QString* error) const {
    auto* state = dynamic_cast<const PyTorchShardedState*>(file.state.get());
    if (state && file.formatId == id() && path.endsWith(QLatin1String(".index.json")))
        return saveShardedPyTorch(file, *state, path, error);
    return FileFormat::save(file, path, error);
}

} // namespace ws
