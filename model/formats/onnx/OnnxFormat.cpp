// The ONNX format: detection by a cheap walk over the first ModelProto fields,
// reading through the protobuf classes of libonnx, saving through OnnxWriter.
#include "OnnxFormat.h"
#include "AtomicSave.h"
#include "OnnxState.h"

#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <climits>

namespace ws {

namespace {

bool varint(const QByteArray& b, qsizetype* i, quint64* out) {
    quint64 v = 0;
    for (int shift = 0; shift < 64 && *i < b.size(); shift += 7) {
        const uchar c = uchar(b[(*i)++]);
        v |= quint64(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

} // namespace

bool looksLikeOnnxModel(const QByteArray& head) {
    // ModelProto: 1 ir_version (varint), 2-4 and 6 strings, 5 model_version (varint),
    // 7 graph, 8 opset_import, 14 metadata_props, 20 training_info, 25 functions.
    qsizetype i = 0;
    int fields = 0;
    int lastField = 0;
    while (i < head.size()) {
        quint64 tag = 0;
        if (!varint(head, &i, &tag)) return fields >= 2;
        const quint64 field = tag >> 3, wire = tag & 7;
        const bool isVarint = field == 1 || field == 5;
        const bool isLen = (field >= 2 && field <= 4) || field == 6 || field == 7 || field == 8 ||
                           field == 14 || field == 20 || field == 25;
        if (fields == 0 && field != 1) return false; // writers put ir_version first
        if (int(field) < lastField) return false;    // and the rest in field order
        if (!(isVarint && wire == 0) && !(isLen && wire == 2)) return false;
        lastField = int(field);
        quint64 value = 0;
        if (!varint(head, &i, &value)) return fields >= 1;
        if (field == 1 && (value < 1 || value > 64)) return false;
        ++fields;
        if (wire == 2) {
            if (value > quint64(head.size() - i)) return true; // runs past what we were shown
            i += qsizetype(value);
        }
    }
    return fields >= 2;
}

int OnnxFormat::probe(const QByteArray& head, const QString& path) const {
    if (looksLikeOnnxModel(head)) return 2;
    return QFileInfo(path).suffix().compare(QLatin1String("onnx"), Qt::CaseInsensitive) == 0 ? 1
                                                                                             : 0;
}

std::unique_ptr<WeightFile> OnnxFormat::read(const QString& path, QString* error,
                                             const ProgressFn& progress) const {
    QString dummy;
    QString* err = error ? error : &dummy;
    if (progress) progress(0.0);
    auto state = std::make_shared<OnnxState>();
    state->model = std::make_shared<onnx::ModelProto>();
    {
        // The structure only: weights stay in the file until shown (OnnxSkeleton.h).
        QByteArray skeleton;
        if (!readOnnxSkeleton(path, &skeleton, &state->lazy, err)) return nullptr;
        if (!parseOnnxModel(skeleton, path, state->model.get(), err)) return nullptr;
    }
    const QFileInfo info(path);
    state->path = path;
    state->fileSize = info.size();
    state->modified = info.lastModified();
    if (progress) progress(0.5);
    auto out = std::make_unique<WeightFile>();
    out->path = path;
    out->formatId = id();
    out->format = this;
    out->inputMajorLinearKind = QStringLiteral("Linear"); // MatMul weights: Linear's transpose
    out->formatName = QStringLiteral("ONNX model (IR %1)").arg(state->model->ir_version());
    if (!collectOnnxTensors(path, state.get(), out.get(), err)) return nullptr;
    const auto& m = *state->model;
    if (!m.producer_name().empty())
        out->metadata.insert(
            QStringLiteral("producer"),
            QString::fromStdString(m.producer_name() + " " + m.producer_version()).trimmed());
    for (const auto& op : m.opset_import())
        out->metadata.insert(QStringLiteral("opset %1")
                                 .arg(QString::fromStdString(
                                     op.domain().empty() ? std::string("ai.onnx") : op.domain())),
                             QString::number(op.version()));
    for (const auto& kv : m.metadata_props())
        out->metadata.insert(QString::fromStdString(kv.key()), QString::fromStdString(kv.value()));
    out->state = state;
    if (progress) progress(1.0);
    return out;
}

bool OnnxFormat::write(const WeightFile& file, QIODevice* out, QString* error) const {
    auto state = std::dynamic_pointer_cast<OnnxState>(file.state);
    if (!state) return writeOnnxConverted(file, out, error);
    for (size_t i = 0; i < file.tensors.size() && i < state->sources.size(); ++i) {
        if (state->sources[i].field == OnnxTensorSource::External &&
            file.tensors[i]->storage->isDirty()) {
            *error = QStringLiteral("%1: tensor %2 lives in an external file; save the model to "
                                    "a path to write it")
                         .arg(file.path, file.tensors[i]->name);
            return false;
        }
    }
    return writeOnnxModel(file, *state, out, error);
}

bool OnnxFormat::save(const WeightFile& file, const QString& path, QString* error) const {
    auto state = std::dynamic_pointer_cast<OnnxState>(file.state);
    if (!state) return FileFormat::save(file, path, error);
    // 1. external data files, each complete and atomic
    const OnnxRelocations moved = onnxRelocations(*state, file.path, path);
    if (!writeOnnxExternalData(file, *state, path, error, moved)) return false;
    // 2. the model
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("%1: cannot write: %2").arg(path, out.errorString());
        return false;
    }
    QString err;
    if (!writeOnnxModel(file, *state, &out, &err, moved)) {
        out.cancelWriting();
        *error = saveFailure(path, err);
        return false;
    }
    // External data files were checked before this save put them in place.
    QStringList external;
    for (const OnnxTensorSource& s : state->sources)
        if (s.field == OnnxTensorSource::External) external << s.externalPath;
    return commitSaveFile(out, path, error, &file, external);
}

} // namespace ws
