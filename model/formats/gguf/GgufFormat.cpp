// GGUF reading: the header (GgufHeader.cpp) becomes tensors whose storages are
// their byte ranges in the file; plain types (f32, f16, bf16, f64, i8..i64) are
// ordinary tensors of that dtype, block types carry a GgmlEncoding, and a type we
// cannot decode is listed with Tensor::problem while the rest of the file opens.
#include "GgufFormat.h"
#include "ByteSourceDevice.h"
#include "GgmlEncoding.h"
#include "GgufMetadata.h"
#include "GgufState.h"

#include <QFile>
#include <algorithm>

namespace ws {

int GgufFormat::probe(const QByteArray& head, const QString& path) const {
    if (head.startsWith("GGUF") || head.startsWith("FUGG")) return 3;
    return path.endsWith(QLatin1String(".gguf"), Qt::CaseInsensitive) ? 1 : 0;
}

std::unique_ptr<WeightFile> readGguf(QIODevice* in, qint64 size, const QString& path,
                                     QString* error, ByteSourcePtr source) {
    auto state = std::make_shared<GgufState>();
    state->path = path;
    QString problem;
    if (!parseGgufHeader(in, size, &state->header, &problem)) {
        *error = QStringLiteral("%1: %2").arg(path, problem);
        return nullptr;
    }
    const GgufHeader& h = state->header;
    auto file = std::make_unique<WeightFile>();
    file->path = path;
    file->formatId = QStringLiteral("gguf");
    file->formatName = QStringLiteral("GGUF v%1").arg(h.version);
    for (const GgufKV& kv : h.kv) {
        file->metadata.insert(kv.key, ggufValueText(kv));
        file->typedMetadata.emplace_back(kv.key, ggufValueTyped(kv));
    }
    file->summary = ggufSummary(h);
    file->tensors.reserve(h.tensors.size());
    for (const GgufTensorInfo& info : h.tensors) {
        auto t = std::make_shared<Tensor>();
        t->name = info.name;
        t->setContiguousShape(std::vector<int64_t>(info.ne.rbegin(), info.ne.rend()));
        const qint64 offset = h.dataOffset + qint64(info.offset);
        t->storage = source ? Storage::fromSource(source, offset, info.bytes, info.name)
                            : Storage::fromFileRange(path, offset, info.bytes, info.name);
        t->problem = info.problem;
        if (const auto plain = ggml::plainDType(info.type)) {
            t->dtype = *plain;
        } else if (info.problem.isEmpty()) {
            t->dtype = DType::Float32;
            t->encoding = GgmlEncoding::of(*ggml::typeTraits(info.type));
        } else { // listed with its type's name and the reason, kept byte for byte on save
            const ggml::TypeTraits* type = ggml::typeTraits(info.type);
            t->dtype = DType::Float32;
            t->encoding = std::make_shared<UnreadableGgmlEncoding>(
                type ? QString::fromLatin1(type->name)
                     : QStringLiteral("ggml type %1").arg(info.type),
                info.problem);
        }
        file->tensors.push_back(std::move(t));
    }
    file->state = state;
    return file;
}

std::unique_ptr<WeightFile> GgufFormat::read(const QString& path, QString* error,
                                             const ProgressFn& progress) const {
    QString dummy;
    QString* err = error ? error : &dummy;
    std::unique_ptr<WeightFile> file;
    if (isUrl(path)) {
        const ByteSourcePtr source = openByteSource(path, err);
        if (!source) return nullptr;
        ByteSourceDevice device(source);
        file = readGguf(&device, source->size(), path, err, source);
        if (!file && !device.readError().isEmpty()) *err = device.readError();
    } else {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly)) {
            *err = QStringLiteral("%1: cannot open: %2").arg(path, f.errorString());
            return nullptr;
        }
        file = readGguf(&f, f.size(), path, err);
    }
    if (file) {
        file->format = this;
        if (progress) progress(1.0);
    }
    return file;
}

} // namespace ws
