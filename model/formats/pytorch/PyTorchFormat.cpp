// PyTorch checkpoints: detection and dispatch to the zip reader (PyTorchZip.cpp)
// or the legacy one (PyTorchLegacy.cpp).
#include "PyTorchFormat.h"
#include "PyTorchLegacy.h"
#include "PyTorchSharded.h"
#include "PyTorchZip.h"
#include "ShardIndex.h"

#include <QFile>
#include <QFileInfo>

namespace ws {

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
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *err = QStringLiteral("%1: cannot open: %2").arg(path, file.errorString());
        return nullptr;
    }
    const QByteArray head = file.read(4096);
    QString why;
    std::unique_ptr<WeightFile> out;
    if (shardIndexKind(head, path) == ShardIndexKind::PyTorch) {
        out = readShardedPyTorch(path, err, progress);
        if (!out) return nullptr;
    } else if (head.startsWith("PK\x03\x04")) {
        out = readPyTorchZip(file, path, &why);
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

bool PyTorchFormat::save(const WeightFile& file, const QString& path, QString* error) const {
    auto* state = dynamic_cast<const PyTorchShardedState*>(file.state.get());
    if (state && file.formatId == id() && path.endsWith(QLatin1String(".index.json")))
        return saveShardedPyTorch(file, *state, path, error);
    return FileFormat::save(file, path, error);
}

} // namespace ws
