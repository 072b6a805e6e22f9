// Saving ONNX models: edited embedded tensors are swapped into the field they
// came from just for serialization (and swapped back, so the reader's state
// stays as read), everything else in the model is serialized as parsed. External
// data files are rewritten whole, beside the target model, before the model.
#include "AtomicSave.h"
#include "FileFormat.h"
#include "OnnxState.h"
#include "TensorBytes.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <algorithm>
#include <cstring>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace ws {

namespace {

using Src = OnnxTensorSource;

class DeviceStream : public google::protobuf::io::CopyingOutputStream {
public:
    explicit DeviceStream(QIODevice* out) : m_out(out) {}
    bool Write(const void* buffer, int size) override {
        return m_out->write(static_cast<const char*>(buffer), size) == size;
    }

private:
    QIODevice* m_out;
};

template <typename T, typename F> google::protobuf::RepeatedField<T> widen(int64_t n, F get) {
    google::protobuf::RepeatedField<T> r;
    r.Resize(int(n), T());
    for (int64_t i = 0; i < n; ++i)
        r.Set(int(i), get(i));
    return r;
}

// A field holding \a t's values, swapped with the proto's field (swap again to undo).
class FieldSwap {
public:
    FieldSwap(onnx::TensorProto* p, Src::Field f) : m_p(p), m_f(f) {}
    bool fill(const Tensor& t, QString* error) {
        QByteArray bytes;
        if (!t.storage->readAll(&bytes, error)) return false;
        const char* d = bytes.constData();
        const int64_t n = t.storage->byteSize() / dtypeSize(t.dtype);
        const int es = dtypeSize(t.dtype);
        switch (m_f) {
        case Src::Raw:
            m_raw.assign(d, size_t(t.storage->byteSize()));
            break;
        case Src::Float:
            m_float.Resize(int(t.storage->byteSize() / 4), 0.f);
            std::memcpy(m_float.mutable_data(), d, size_t(t.storage->byteSize()));
            break;
        case Src::Double:
            m_double.Resize(int(n), 0.0);
            std::memcpy(m_double.mutable_data(), d, size_t(t.storage->byteSize()));
            break;
        case Src::Int64:
            m_int64.Resize(int(n), 0);
            std::memcpy(m_int64.mutable_data(), d, size_t(t.storage->byteSize()));
            break;
        case Src::UInt64:
            m_uint64 = widen<uint64_t>(n, [&](int64_t i) {
                uint64_t v = 0;
                std::memcpy(&v, d + i * es, size_t(es));
                return v;
            });
            break;
        case Src::Int32: {
            const bool isSigned =
                t.dtype == DType::Int8 || t.dtype == DType::Int16 || t.dtype == DType::Int32;
            m_int32 = widen<int32_t>(n, [&](int64_t i) {
                uint32_t v = 0;
                std::memcpy(&v, d + i * es, size_t(es));
                if (isSigned && es < 4 && (v >> (8 * es - 1)) & 1) v |= ~0u << (8 * es);
                return int32_t(v);
            });
            break;
        }
        case Src::External:
            break;
        }
        swap();
        return true;
    }
    /// Swaps \a raw in as raw_data.
    void fillRaw(std::string raw) {
        m_raw = std::move(raw);
        swap();
    }
    void swap() {
        switch (m_f) {
        case Src::Raw:
            m_p->mutable_raw_data()->swap(m_raw);
            break;
        case Src::Float:
            m_p->mutable_float_data()->Swap(&m_float);
            break;
        case Src::Double:
            m_p->mutable_double_data()->Swap(&m_double);
            break;
        case Src::Int64:
            m_p->mutable_int64_data()->Swap(&m_int64);
            break;
        case Src::UInt64:
            m_p->mutable_uint64_data()->Swap(&m_uint64);
            break;
        case Src::Int32:
            m_p->mutable_int32_data()->Swap(&m_int32);
            break;
        case Src::External:
            break;
        }
    }

private:
    onnx::TensorProto* m_p;
    Src::Field m_f;
    std::string m_raw;
    google::protobuf::RepeatedField<float> m_float;
    google::protobuf::RepeatedField<double> m_double;
    google::protobuf::RepeatedField<int64_t> m_int64;
    google::protobuf::RepeatedField<uint64_t> m_uint64;
    google::protobuf::RepeatedField<int32_t> m_int32;
};

/// Every TensorProto that readOnnxSkeleton may have left a placeholder in.
template <typename F> void forEachTensorProto(onnx::GraphProto* g, const F& f) {
    for (auto& t : *g->mutable_initializer())
        f(&t);
    for (auto& node : *g->mutable_node())
        for (auto& attr : *node.mutable_attribute()) {
            if (attr.has_t()) f(attr.mutable_t());
            for (auto& t : *attr.mutable_tensors())
                f(&t);
            if (attr.has_g()) forEachTensorProto(attr.mutable_g(), f);
            for (auto& sub : *attr.mutable_graphs())
                forEachTensorProto(&sub, f);
        }
}

/// Puts back, for serialization, the weights readOnnxSkeleton left in the model
/// file (placeholders still in place: the tensor was not edited).
bool fillLazyRaw(OnnxState& state, std::vector<std::unique_ptr<FieldSwap>>* swaps, QString* error) {
    if (state.lazy.empty()) return true;
    QFile source(state.path);
    const QFileInfo info(state.path);
    if (info.size() != state.fileSize || info.lastModified() != state.modified ||
        !source.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1 changed on disk since it was opened: its weights can no "
                                "longer be copied from it (open it again)")
                     .arg(state.path);
        return false;
    }
    bool ok = true;
    forEachTensorProto(state.model->mutable_graph(), [&](onnx::TensorProto* p) {
        const qint64 index = ok && p->has_raw_data() ? onnxLazyIndex(p->raw_data()) : -1;
        if (index < 0 || index >= qint64(state.lazy.size())) return;
        const OnnxLazyRaw& where = state.lazy[size_t(index)];
        std::string bytes(size_t(where.length), '\0');
        if (!source.seek(where.offset) || source.read(bytes.data(), where.length) != where.length) {
            *error = QStringLiteral("%1: cannot read %2 bytes at %3: %4")
                         .arg(state.path)
                         .arg(where.length)
                         .arg(where.offset)
                         .arg(source.errorString());
            ok = false;
            return;
        }
        swaps->push_back(std::make_unique<FieldSwap>(p, Src::Raw));
        swaps->back()->fillRaw(std::move(bytes));
    });
    return ok;
}

bool sameFile(const QString& a, const QString& b) {
    const QFileInfo fa(a), fb(b);
    return fa.exists() && fb.exists() && fa.canonicalFilePath() == fb.canonicalFilePath();
}

} // namespace

bool writeOnnxModel(const WeightFile& file, OnnxState& state, QIODevice* out, QString* error,
                    const OnnxRelocations& moved) {
    if (state.sources.size() != file.tensors.size() || !state.model) {
        *error = QStringLiteral("%1: the tensors no longer match the model that was read")
                     .arg(file.path);
        return false;
    }
    std::vector<std::unique_ptr<FieldSwap>> swaps;
    auto restore = [&swaps] {
        for (auto& s : swaps)
            s->swap();
        swaps.clear();
    };
    for (size_t i = 0; i < file.tensors.size(); ++i) {
        const Tensor& t = *file.tensors[i];
        const Src& src = state.sources[i];
        if (!t.storage || !t.storage->isDirty()) continue;
        if (src.field == Src::External) continue; // written by writeOnnxExternalData
        swaps.push_back(std::make_unique<FieldSwap>(src.proto, src.field));
        if (!swaps.back()->fill(t, error)) {
            swaps.pop_back();
            restore();
            return false;
        }
    }
    if (!fillLazyRaw(state, &swaps, error)) {
        restore();
        return false;
    }
    std::vector<std::pair<std::string*, std::string>> locations; // to restore
    for (const Src& src : state.sources) {
        const auto it = moved.find(src.externalPath);
        if (src.field != Src::External || it == moved.end()) continue;
        for (auto& kv : *src.proto->mutable_external_data()) {
            if (kv.key() != "location") continue;
            locations.emplace_back(kv.mutable_value(), it->second.toStdString());
            locations.back().first->swap(locations.back().second);
        }
    }
    DeviceStream stream(out);
    bool ok = false;
    {
        google::protobuf::io::CopyingOutputStreamAdaptor adaptor(&stream);
        ok = state.model->SerializeToZeroCopyStream(&adaptor);
        ok = adaptor.Flush() && ok;
    }
    restore();
    for (auto& [field, old] : locations)
        field->swap(old);
    if (!ok)
        *error = QStringLiteral("%1: cannot serialize the model: %2")
                     .arg(file.path, writeFailureReason(*out));
    return ok;
}

OnnxRelocations onnxRelocations(const OnnxState& state, const QString& currentPath,
                                const QString& modelPath) {
    OnnxRelocations moved;
    if (sameFile(currentPath, modelPath)) return moved;
    const QDir targetDir = QFileInfo(modelPath).absoluteDir();
    const QString base = QFileInfo(modelPath).fileName();
    for (const Src& s : state.sources) {
        if (s.field != Src::External || moved.count(s.externalPath)) continue;
        if (!sameFile(s.externalPath, targetDir.filePath(s.location))) continue;
        const QString folder = QFileInfo(s.location).path();
        const QString name = moved.empty()
                                 ? base + QStringLiteral(".data")
                                 : QStringLiteral("%1.%2.data").arg(base).arg(moved.size());
        moved[s.externalPath] =
            folder == QLatin1String(".") ? name : folder + QLatin1Char('/') + name;
    }
    return moved;
}

bool writeOnnxExternalData(const WeightFile& file, const OnnxState& state, const QString& modelPath,
                           QString* error, const OnnxRelocations& moved) {
    const QDir targetDir = QFileInfo(modelPath).absoluteDir();
    // Each external file once, with the edited tensors that lie in it.
    std::vector<QString> files;
    for (const Src& s : state.sources)
        if (s.field == Src::External &&
            std::find(files.begin(), files.end(), s.externalPath) == files.end())
            files.push_back(s.externalPath);
    QStringList written; // put in place by this save: no longer as opened
    for (const QString& source : files) {
        QString location;
        std::vector<std::pair<const Src*, const Tensor*>> edited;
        for (size_t i = 0; i < state.sources.size(); ++i) {
            const Src& s = state.sources[i];
            if (s.field != Src::External || s.externalPath != source) continue;
            location = s.location;
            if (file.tensors[i]->storage->isDirty()) edited.emplace_back(&s, file.tensors[i].get());
        }
        const auto relocated = moved.find(source);
        if (relocated != moved.end()) location = relocated->second;
        const QString target = targetDir.filePath(location);
        if (edited.empty() && sameFile(source, target)) continue;
        std::sort(edited.begin(), edited.end(),
                  [](const auto& a, const auto& b) { return a.first->offset < b.first->offset; });
        QFile in(source);
        if (!in.open(QIODevice::ReadOnly)) {
            *error =
                QStringLiteral("%1: cannot read external data: %2").arg(source, in.errorString());
            return false;
        }
        const qint64 size = in.size();
        in.close();
        QDir().mkpath(QFileInfo(target).absolutePath());
        QSaveFile out(target);
        if (!out.open(QIODevice::WriteOnly)) {
            *error = QStringLiteral("%1: cannot write: %2").arg(target, out.errorString());
            return false;
        }
        qint64 pos = 0;
        bool ok = true;
        for (const auto& [src, t] : edited) {
            if (src->offset < pos) {
                *error =
                    QStringLiteral("%1: edited tensors overlap in the external file").arg(target);
                ok = false;
                break;
            }
            ok = copyFileRange(source, pos, src->offset - pos, &out, error) &&
                 writeStorageBytes(*t->storage, &out, error);
            if (!ok) break;
            pos = src->offset + src->length;
        }
        if (ok) ok = copyFileRange(source, pos, size - pos, &out, error);
        if (!ok) {
            out.cancelWriting();
            return false;
        }
        // raw external data: the model that references it is read back instead
        if (!commitSaveFile(out, target, error, &file, written, false)) return false;
        written << source << target;
    }
    return true;
}

bool writeOnnxConverted(const WeightFile& file, QIODevice* out, QString* error) {
    auto state = std::make_shared<OnnxState>();
    state->model = std::make_shared<onnx::ModelProto>();
    onnx::ModelProto& m = *state->model;
    m.set_ir_version(8);
    m.set_producer_name("WeightScope");
    auto* opset = m.add_opset_import();
    opset->set_domain("");
    opset->set_version(13);
    onnx::GraphProto* g = m.mutable_graph();
    g->set_name("weights");
    for (const TensorPtr& t : file.tensors) {
        int type = 0;
        switch (t->dtype) {
        case DType::Float32:
            type = onnx::TensorProto::FLOAT;
            break;
        case DType::Float16:
            type = onnx::TensorProto::FLOAT16;
            break;
        case DType::BFloat16:
            type = onnx::TensorProto::BFLOAT16;
            break;
        case DType::Float64:
            type = onnx::TensorProto::DOUBLE;
            break;
        case DType::Int64:
            type = onnx::TensorProto::INT64;
            break;
        case DType::Int32:
            type = onnx::TensorProto::INT32;
            break;
        case DType::Int16:
            type = onnx::TensorProto::INT16;
            break;
        case DType::Int8:
            type = onnx::TensorProto::INT8;
            break;
        case DType::UInt8:
            type = onnx::TensorProto::UINT8;
            break;
        case DType::Bool:
            type = onnx::TensorProto::BOOL;
            break;
        case DType::UInt16:
            type = onnx::TensorProto::UINT16;
            break;
        case DType::UInt32:
            type = onnx::TensorProto::UINT32;
            break;
        case DType::UInt64:
            type = onnx::TensorProto::UINT64;
            break;
        case DType::Complex64:
            type = onnx::TensorProto::COMPLEX64;
            break;
        default:
            *error = QStringLiteral("%1: tensor %2: %3 cannot be stored in an ONNX model of IR 8")
                         .arg(file.path, t->name, dtypeName(t->dtype));
            return false;
        }
        QByteArray bytes;
        QBuffer buf(&bytes);
        buf.open(QIODevice::WriteOnly);
        if (!writeTensorBytes(*t, &buf, error)) return false;
        onnx::TensorProto* p = g->add_initializer();
        p->set_name(t->name.toStdString());
        p->set_data_type(type);
        for (int64_t d : t->shape)
            p->add_dims(d);
        p->set_raw_data(bytes.constData(), size_t(bytes.size()));
    }
    WeightFile empty;
    empty.path = file.path;
    return writeOnnxModel(empty, *state, out, error);
}

} // namespace ws
