// The fuzz targets' bodies: each writes the input to a scratch file (readers open
// files by name), reads it as WeightScope opens a file and loads every tensor.
// Crashes, leaks and hangs show by themselves; the rules checked here are that a
// failure always comes with a message and that a safetensors header the parser
// accepted has its data.
#include "FuzzEntry.h"
#include "GgmlEncoding.h"
#include "GgufFormat.h"
#include "Hdf5Format.h"
#include "KerasArchive.h"
#include "NpyHeader.h"
#include "NumpyFormat.h"
#include "OnnxFormat.h"
#include "PyTorchFormat.h"
#include "SafetensorsFormat.h"
#include "SafetensorsState.h"

#include <QBuffer>
#include <QByteArray>
#include <QDir>
#include <QFile>
#include <cmath>
#include <cstdlib>
#include <unistd.h>

namespace ws::fuzz {

namespace {

QString scratchRoot() {
    return QDir::tempPath() + QStringLiteral("/ws_fuzz_%1").arg(getpid());
}

// A private folder per reader, holding only the input (ONNX external data must
// not find anything else there).
QString writeScratch(const char* reader, const QString& fileName, const uint8_t* data,
                     size_t size) {
    const QString dir = scratchRoot() + QLatin1Char('/') + QLatin1String(reader);
    QDir().mkpath(dir);
    const QString path = dir + QLatin1Char('/') + fileName;
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return QString();
    f.write(reinterpret_cast<const char*>(data), qint64(size));
    return f.error() == QFileDevice::NoError ? path : QString();
}

// Reads \a path with \a format and loads every tensor (huge ones only as bytes:
// their values would test memory, not the reader). \a mustLoad: a failed load is a
// violation even with a message.
Outcome readAndLoad(const FileFormat& format, const QString& path, bool mustLoad = false) {
    Outcome o;
    if (path.isEmpty()) return o; // no scratch file: nothing tested
    QString error;
    auto file = format.read(path, &error);
    if (!file) {
        o.error = error;
        if (error.isEmpty()) o.violation = QStringLiteral("refused without a message");
        return o;
    }
    o.opened = true;
    o.tensors = int(file->tensors.size());
    for (const auto& t : file->tensors) {
        QString loadError;
        bool ok;
        if (t->numel() > (int64_t(1) << 22)) {
            ok = t->check(&loadError);
        } else {
            std::vector<double> values;
            ok = t->valuesDouble(&values, &loadError);
        }
        if (ok) {
            ++o.loaded;
        } else if (loadError.isEmpty()) {
            o.violation = QStringLiteral("tensor %1 failed to load without a message").arg(t->name);
        } else if (mustLoad) {
            o.violation = QStringLiteral("tensor %1 of an accepted header failed: %2")
                              .arg(t->name, loadError);
        }
    }
    return o;
}

} // namespace

Outcome fuzzGguf(const uint8_t* data, size_t size) {
    { // the header parser on its own, in memory
        QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
        QBuffer buf(&bytes);
        buf.open(QIODevice::ReadOnly);
        QString error;
        if (!readGguf(&buf, qint64(size), QStringLiteral("memory.gguf"), &error) && error.isEmpty())
            return {false, {}, 0, 0, QStringLiteral("readGguf failed without a message")};
    }
    const QString path = writeScratch("gguf", QStringLiteral("input.gguf"), data, size);
    Outcome o = readAndLoad(GgufFormat(), path);
    if (!o.violation.isEmpty() || !o.opened) return o;
    // Decoded blocks of every type with a reference quantizer re-quantize.
    QString error;
    auto file = GgufFormat().read(path, &error);
    for (const auto& t : file ? file->tensors : std::vector<TensorPtr>{}) {
        if (!t->problem.isEmpty() || !t->encoding || t->numel() > (int64_t(1) << 22)) continue;
        const int64_t unit = t->encoding->unitElements();
        if (unit <= 0 || !t->encoding->validate(*t).isEmpty()) continue;
        std::vector<float> values(size_t(t->numel()));
        if (!t->encoding->decode(*t, 0, t->numel(), values.data(), &error)) continue;
        bool finite = true;
        for (float v : values)
            finite = finite && std::isfinite(v);
        std::vector<char> blocks(size_t(t->numel() / unit * t->encoding->unitBytes()));
        if (finite &&
            !t->encoding->encodeUnits(values.data(), t->numel() / unit, blocks.data(), &error))
            o.violation = QStringLiteral("tensor %1: decoded blocks do not re-quantize: %2")
                              .arg(t->name, error);
    }
    return o;
}

Outcome fuzzHdf5(const uint8_t* data, size_t size) {
    // HDF5 loops forever on some damaged files; the reader gives up after this.
    static const bool configured = (setHdf5StructureTimeout(2000), true);
    (void)configured;
    return readAndLoad(Hdf5Format(), writeScratch("hdf5", QStringLiteral("input.h5"), data, size));
}

Outcome fuzzKeras(const uint8_t* data, size_t size) {
    // The archive's zip directory and config.json are ours; the weights go to the
    // HDF5 helper like any HDF5 file.
    static const bool configured = (setHdf5StructureTimeout(2000), true);
    (void)configured;
    return readAndLoad(KerasArchiveFormat(),
                       writeScratch("keras", QStringLiteral("input.keras"), data, size));
}

Outcome fuzzNumpy(const uint8_t* data, size_t size) {
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
    NpyHeader header;
    QString problem;
    if (!parseNpyDict(bytes, &header, &problem) && problem.isEmpty())
        return {false, {}, 0, 0, QStringLiteral("parseNpyDict failed without a message")};
    if (!parseNpyHeader(bytes, &header, &problem) && problem.isEmpty())
        return {false, {}, 0, 0, QStringLiteral("parseNpyHeader failed without a message")};
    NumpyFormat format;
    const QString path = writeScratch("numpy", QStringLiteral("input.npz"), data, size);
    format.probe(bytes.left(4096), path);
    return readAndLoad(format, path);
}

Outcome fuzzOnnx(const uint8_t* data, size_t size) {
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
    looksLikeOnnxModel(bytes.left(4096));
    return readAndLoad(OnnxFormat(),
                       writeScratch("onnx", QStringLiteral("model.onnx"), data, size));
}

Outcome fuzzPytorch(const uint8_t* data, size_t size) {
    return readAndLoad(PyTorchFormat(),
                       writeScratch("pytorch", QStringLiteral("input.pt"), data, size));
}

Outcome fuzzSafetensors(const uint8_t* data, size_t size) {
    if (size >= 8) {
        uint64_t n = 0;
        for (int i = 7; i >= 0; --i)
            n = (n << 8) | data[i];
        if (n <= size - 8) {
            SafetensorsHeader header;
            QString problem;
            const QByteArray bytes(reinterpret_cast<const char*>(data) + 8, qsizetype(n));
            if (!parseSafetensorsHeader(bytes, qint64(size), &header, &problem) &&
                problem.isEmpty())
                return {false, {}, 0, 0, QStringLiteral("header refused without a message")};
        }
    }
    // A file the reader opens has a valid header, whose data must then be present.
    return readAndLoad(SafetensorsFormat(),
                       writeScratch("safetensors", QStringLiteral("input.safetensors"), data, size),
                       true);
}

const std::vector<NamedEntry>& entries() {
    static const std::vector<NamedEntry> all = {{"gguf", fuzzGguf},
                                                {"hdf5", fuzzHdf5},
                                                {"keras", fuzzKeras},
                                                {"numpy", fuzzNumpy},
                                                {"onnx", fuzzOnnx},
                                                {"pytorch", fuzzPytorch},
                                                {"safetensors", fuzzSafetensors}};
    return all;
}

int trapOnViolation(const Outcome& outcome) {
    if (!outcome.violation.isEmpty()) {
        qWarning("fuzz: %s", qPrintable(outcome.violation));
        __builtin_trap();
    }
    return 0;
}

void removeScratch() {
    QDir(scratchRoot()).removeRecursively();
}

} // namespace ws::fuzz
