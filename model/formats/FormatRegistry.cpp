// The single place where formats are registered and detected.
#include "FormatRegistry.h"
#include "AtomicSave.h"
#include "GgufFormat.h"
#include "Hdf5Format.h"
#include "HttpByteSource.h"
#include "KerasArchive.h"
#include "NumpyFormat.h"
#include "OnnxFormat.h"
#include "PyTorchFormat.h"
#include "QuantizedLayers.h"
#include "SafetensorsFormat.h"

#include <QFile>
#include <QFileInfo>
#include <algorithm>

namespace ws {

const std::vector<const FileFormat*>& fileFormats() {
    static const PyTorchFormat pytorch;
    static const SafetensorsFormat safetensors;
    static const Hdf5Format hdf5;
    static const NumpyFormat numpy;
    static const OnnxFormat onnx;
    static const KerasArchiveFormat keras;
    static const GgufFormat gguf;
    static const std::vector<const FileFormat*> all = {&safetensors, &numpy, &pytorch, &hdf5,
                                                       &onnx,        &keras, &gguf};
    return all;
}

const FileFormat* formatById(const QString& id) {
    for (const FileFormat* f : fileFormats())
        if (f->id() == id) return f;
    return nullptr;
}

namespace {

const FileFormat* bestFormat(const QByteArray& head, const QString& path, QString* error) {
    const FileFormat* best = nullptr;
    int bestScore = 0;
    for (const FileFormat* f : fileFormats()) {
        int score = f->probe(head, path);
        if (score > bestScore) {
            best = f;
            bestScore = score;
        }
    }
    if (!best) {
        *error = head.isEmpty()
                     ? QStringLiteral("%1: file is empty").arg(path)
                     : QStringLiteral("%1: not a recognised weight file format").arg(path);
    }
    return best;
}

// A URL is probed with its first bytes, fetched by range (its name alone, without
// the query, tells the format where the head does not).
const FileFormat* detectRemoteFormat(const QString& url, ByteSourcePtr* keep, QString* error) {
    installHttpOpener();
    ByteSourcePtr source = openByteSource(url, error);
    if (!source) return nullptr;
    QByteArray head(qsizetype(std::min<qint64>(source->size(), 4096)), Qt::Uninitialized);
    if (!source->read(0, head.size(), head.data(), error)) return nullptr;
    *keep = source;
    return bestFormat(head, url, error);
}

} // namespace

const FileFormat* detectFormat(const QString& path, QString* error) {
    if (isUrl(path)) {
        ByteSourcePtr source;
        return detectRemoteFormat(path, &source, error);
    }
    QFile file(path);
    QFileInfo info(path);
    if (!info.exists()) {
        *error = QStringLiteral("%1: no such file").arg(path);
        return nullptr;
    }
    if (info.isDir()) {
        *error = QStringLiteral("%1: is a folder, not a weight file").arg(path);
        return nullptr;
    }
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot open: %2").arg(path, file.errorString());
        return nullptr;
    }
    return bestFormat(file.read(4096), path, error);
}

std::unique_ptr<WeightFile> openWeightFile(const QString& path, QString* error,
                                           const ProgressFn& progress) {
    ByteSourcePtr remote; // kept open while the format reads it (one source per URL)
    const FileFormat* format =
        isUrl(path) ? detectRemoteFormat(path, &remote, error) : detectFormat(path, error);
    if (!format) return nullptr;
    if (!remote) removeStaleTempFiles(path); // what a save killed midway left beside it
    if (remote && !format->readsUrls()) {
        *error = QStringLiteral("%1: %2 files cannot be opened by URL yet; download it and "
                                "open it locally")
                     .arg(path, format->displayName());
        return nullptr;
    }
    // Stamped before reading: a change while it is read shows up as a change.
    const WeightFile::FileStamp before = WeightFile::stampOf(path);
    auto file = format->read(path, error, progress);
    if (file) {
        file->path = path;
        file->stamp(&before);
        file->formatId = format->id();
        file->format = format;
        if (file->formatName.isEmpty()) file->formatName = format->displayName();
        // Quantized checkpoints: one logical weight per layer beside the stored tensors.
        if (file->formatId == QLatin1String("safetensors") ||
            file->formatId == QLatin1String("pytorch"))
            addLogicalTensors(*file, QFileInfo(path).absolutePath());
    }
    return file;
}

QString openDialogFilter() {
    QStringList all, each;
    for (const FileFormat* f : fileFormats()) {
        all << f->nameFilters();
        each << QStringLiteral("%1 (%2)").arg(f->displayName(), f->nameFilters().join(' '));
    }
    return QStringLiteral("Weight files (%1)").arg(all.join(' ')) + QStringLiteral(";;") +
           each.join(QStringLiteral(";;")) + QStringLiteral(";;All files (*)");
}

} // namespace ws
