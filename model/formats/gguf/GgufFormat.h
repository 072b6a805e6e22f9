// GGUF files (llama.cpp, Ollama): metadata, tensor infos, and tensors of every
// ggml type, quantized ones decoded block by block through GgmlEncoding.
#pragma once

#include "ByteSource.h"
#include "FileFormat.h"

namespace ws {

class GgufFormat : public FileFormat {
public:
    QString id() const override { return QStringLiteral("gguf"); }
    QString displayName() const override { return QStringLiteral("GGUF (llama.cpp)"); }
    QStringList nameFilters() const override { return {QStringLiteral("*.gguf")}; }
    int probe(const QByteArray& head, const QString& path) const override;
    std::unique_ptr<WeightFile> read(const QString& path, QString* error,
                                     const ProgressFn& progress = {}) const override;
    bool readsUrls() const override { return true; }
    bool canWrite() const override { return true; }
    /// The file as read with each edited tensor's bytes replaced (they keep their size):
    /// header, padding, untouched tensors and anything else copied byte for byte.
    /// Only files read as GGUF can be written (no conversion to GGUF).
    bool write(const WeightFile& file, QIODevice* out, QString* error) const override;
    QString defaultSuffix() const override { return QStringLiteral("gguf"); }
};

/// Reads the WeightFile of the GGUF bytes \a in (\a size long) named \a path; the
/// tensors' storages are ranges of \a source when given (a URL), else of the file
/// \a path. Used by GgufFormat::read and the fuzz target.
std::unique_ptr<WeightFile> readGguf(QIODevice* in, qint64 size, const QString& path,
                                     QString* error, ByteSourcePtr source = {});

} // namespace ws
