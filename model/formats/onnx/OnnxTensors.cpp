// From a parsed ModelProto to tensors: data types, the field that holds each
// tensor's values (raw_data or a typed field, as the ONNX spec packs them),
// and external data checked against its file before anything is read.
#include "OnnxState.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <climits>
#include <cstring>
#include <google/protobuf/io/coded_stream.h>
#include <optional>
#include <set>

namespace ws {

namespace {

using Src = OnnxTensorSource;

std::optional<DType> dtypeOf(int onnxType) {
    switch (onnxType) {
    case onnx::TensorProto::FLOAT:
        return DType::Float32;
    case onnx::TensorProto::UINT8:
        return DType::UInt8;
    case onnx::TensorProto::INT8:
        return DType::Int8;
    case onnx::TensorProto::UINT16:
        return DType::UInt16;
    case onnx::TensorProto::INT16:
        return DType::Int16;
    case onnx::TensorProto::INT32:
        return DType::Int32;
    case onnx::TensorProto::INT64:
        return DType::Int64;
    case onnx::TensorProto::BOOL:
        return DType::Bool;
    case onnx::TensorProto::FLOAT16:
        return DType::Float16;
    case onnx::TensorProto::DOUBLE:
        return DType::Float64;
    case onnx::TensorProto::UINT32:
        return DType::UInt32;
    case onnx::TensorProto::UINT64:
        return DType::UInt64;
    case onnx::TensorProto::COMPLEX64:
        return DType::Complex64;
    case onnx::TensorProto::BFLOAT16:
        return DType::BFloat16;
    case 17:
        return DType::Float8E4M3; // FLOAT8E4M3FN (ONNX 1.14)
    case 19:
        return DType::Float8E5M2; // FLOAT8E5M2 (ONNX 1.14)
    default:
        return std::nullopt;
    }
}

// The typed field the spec uses for \a t when raw_data is absent.
Src::Field typedField(DType t) {
    switch (t) {
    case DType::Float32:
    case DType::Complex64:
        return Src::Float;
    case DType::Int64:
        return Src::Int64;
    case DType::Float64:
        return Src::Double;
    case DType::UInt32:
    case DType::UInt64:
        return Src::UInt64;
    default:
        return Src::Int32;
    }
}

int64_t typedCount(const onnx::TensorProto& p, Src::Field f) {
    switch (f) {
    case Src::Float:
        return p.float_data_size();
    case Src::Int32:
        return p.int32_data_size();
    case Src::Int64:
        return p.int64_data_size();
    case Src::Double:
        return p.double_data_size();
    case Src::UInt64:
        return p.uint64_data_size();
    default:
        return -1;
    }
}

// Little-endian storage bytes from a typed field.
QByteArray typedBytes(const onnx::TensorProto& p, Src::Field f, DType t, int64_t numel) {
    const int es = dtypeSize(t);
    QByteArray b(qsizetype(numel * es), '\0');
    char* out = b.data();
    switch (f) {
    case Src::Float:
        std::memcpy(out, p.float_data().data(), size_t(b.size()));
        break;
    case Src::Int64:
        std::memcpy(out, p.int64_data().data(), size_t(b.size()));
        break;
    case Src::Double:
        std::memcpy(out, p.double_data().data(), size_t(b.size()));
        break;
    case Src::UInt64:
        for (int64_t i = 0; i < numel; ++i) {
            const uint64_t v = p.uint64_data(int(i));
            std::memcpy(out + i * es, &v, size_t(es)); // low bytes first (little-endian)
        }
        break;
    case Src::Int32:
        for (int64_t i = 0; i < numel; ++i) {
            const int32_t v = p.int32_data(int(i));
            std::memcpy(out + i * es, &v, size_t(es));
        }
        break;
    default:
        break;
    }
    return b;
}

// "location" must stay inside the model's folder.
bool safeLocation(const QString& location) {
    if (location.isEmpty() || location.startsWith(QLatin1Char('/')) ||
        location.startsWith(QLatin1Char('\\')) || location.contains(QLatin1Char(':')))
        return false;
    for (const QChar c : location)
        if (c.unicode() < 0x20) return false;
    const QStringList parts = location.split(QRegularExpression(QStringLiteral("[/\\\\]")));
    for (const QString& part : parts)
        if (part == QLatin1String("..")) return false;
    return true;
}

bool parseCount(const std::string& text, qint64* out) {
    bool ok = false;
    *out = QString::fromStdString(text).toLongLong(&ok);
    return ok && *out >= 0;
}

class Collector {
public:
    Collector(const QString& path, OnnxState* state, WeightFile* out)
        : m_path(path), m_dir(QFileInfo(path).absolutePath()), m_state(state), m_out(out) {}

    bool graph(onnx::GraphProto* g) {
        const std::set<std::string> inputMajor = inputMajorWeights(*g);
        for (int i = 0; i < g->initializer_size(); ++i) {
            const size_t before = m_out->tensors.size();
            if (!tensor(g->mutable_initializer(i), QString())) return false;
            if (m_out->tensors.size() == before) continue; // listed, not shown
            Tensor& t = *m_out->tensors.back();
            if (t.rank() == 2 && inputMajor.count(g->initializer(i).name())) t.inputMajor = true;
        }
        for (int i = 0; i < g->sparse_initializer_size(); ++i)
            m_out->otherEntries << QStringLiteral("%1: sparse initializer (not shown)")
                                       .arg(QString::fromStdString(
                                           g->sparse_initializer(i).values().name()));
        for (int i = 0; i < g->node_size(); ++i) {
            onnx::NodeProto* node = g->mutable_node(i);
            const bool constant = node->op_type() == "Constant" && node->domain().empty();
            for (int a = 0; a < node->attribute_size(); ++a) {
                onnx::AttributeProto* attr = node->mutable_attribute(a);
                if (constant && attr->name() == "value" && attr->has_t()) {
                    const QString name = node->output_size() > 0
                                             ? QString::fromStdString(node->output(0))
                                             : QString::fromStdString(attr->t().name());
                    if (!tensor(attr->mutable_t(), name)) return false;
                }
                if (attr->has_g() && !graph(attr->mutable_g())) return false;
                for (int k = 0; k < attr->graphs_size(); ++k)
                    if (!graph(attr->mutable_graphs(k))) return false;
            }
        }
        return true;
    }

    QString error;

private:
    /// Initializers that nodes of \a g multiply as (in, out) matrices: MatMul's second
    /// input, and Gemm's without transB (torch.onnx exports nn.Linear either as Gemm
    /// with transB = 1, PyTorch's (out, in), or as MatMul with the weight transposed).
    /// Views then show them (out, in) like every other format.
    static std::set<std::string> inputMajorWeights(const onnx::GraphProto& g) {
        std::set<std::string> yes, no;
        for (const auto& node : g.node()) {
            if (!node.domain().empty() || node.input_size() < 2) continue;
            bool transposed = false;
            if (node.op_type() == "Gemm") {
                for (const auto& a : node.attribute())
                    if (a.name() == "transB") transposed = a.i() != 0;
            } else if (node.op_type() != "MatMul") {
                continue;
            }
            (transposed ? no : yes).insert(node.input(1));
        }
        for (const auto& name : no) // used both ways: leave it as stored
            yes.erase(name);
        return yes;
    }

    bool fail(const QString& name, const QString& what) {
        error = QStringLiteral("%1: tensor %2: %3").arg(m_path, name, what);
        return false;
    }

    bool tensor(onnx::TensorProto* p, QString name) {
        if (name.isEmpty()) name = QString::fromStdString(p->name());
        const std::optional<DType> dtype = dtypeOf(p->data_type());
        if (!dtype) {
            m_out->otherEntries << QStringLiteral("%1: ONNX data type %2 (not shown)")
                                       .arg(name)
                                       .arg(p->data_type());
            return true;
        }
        auto t = std::make_shared<Tensor>();
        t->name = name;
        t->dtype = *dtype;
        int64_t numel = 1;
        bool empty = false;
        for (int64_t d : p->dims()) {
            if (d < 0) return fail(name, QStringLiteral("negative dimension %1").arg(d));
            if (d == 0)
                empty = true;
            else if (!empty && numel > kMaxElements / d)
                return fail(name, QStringLiteral("absurd shape"));
            if (!empty) numel *= d;
            t->shape.push_back(d);
        }
        if (empty) numel = 0;
        t->setContiguousShape(t->shape);
        const int es = dtypeSize(*dtype);
        const qint64 bytes = numel * es;
        Src src;
        src.proto = p;
        if (p->data_location() == onnx::TensorProto::EXTERNAL) {
            src.field = Src::External;
            bool haveLength = false;
            for (const auto& kv : p->external_data()) {
                if (kv.key() == "location")
                    src.location = QString::fromStdString(kv.value());
                else if (kv.key() == "offset" && !parseCount(kv.value(), &src.offset))
                    return fail(name, QStringLiteral("bad external offset"));
                else if (kv.key() == "length") {
                    if (!parseCount(kv.value(), &src.length))
                        return fail(name, QStringLiteral("bad external length"));
                    haveLength = true;
                }
            }
            if (!safeLocation(src.location))
                return fail(name, QStringLiteral("external location '%1' is not a relative path "
                                                 "inside the model's folder")
                                      .arg(src.location));
            if (!haveLength) src.length = bytes;
            if (src.length != bytes)
                return fail(name, QStringLiteral("external length %1 does not match %2 bytes of "
                                                 "shape %3")
                                      .arg(src.length)
                                      .arg(bytes)
                                      .arg(t->shapeString()));
            src.externalPath = QDir(m_dir).filePath(src.location);
            const QFileInfo ext(src.externalPath);
            if (!ext.isFile())
                return fail(name,
                            QStringLiteral("external data file %1 is missing").arg(src.location));
            if (src.offset > ext.size() || bytes > ext.size() - src.offset)
                return fail(name, QStringLiteral("%1 bytes at offset %2 lie past the end of %3 "
                                                 "(%4 bytes)")
                                      .arg(bytes)
                                      .arg(src.offset)
                                      .arg(src.location)
                                      .arg(ext.size()));
            t->storage = Storage::fromFileRange(src.externalPath, src.offset, bytes, name);
        } else {
            src.field = p->has_raw_data() ? Src::Raw : typedField(*dtype);
            auto model = m_state->model; // keeps the proto alive for the loader
            const DType dt = *dtype;
            const Src::Field field = src.field;
            const qint64 lazy = field == Src::Raw ? onnxLazyIndex(p->raw_data()) : -1;
            if (lazy >= 0) {
                // The payload is still in the file: a plain range of it, read when shown.
                if (lazy >= qint64(m_state->lazy.size()) || m_claimed.count(lazy))
                    return fail(name, QStringLiteral("raw_data is not what the model holds"));
                m_claimed.insert(lazy);
                const OnnxLazyRaw& where = m_state->lazy[size_t(lazy)];
                if (where.length != bytes)
                    return fail(name, QStringLiteral("raw_data holds %1 bytes, shape %2 needs %3")
                                          .arg(where.length)
                                          .arg(t->shapeString())
                                          .arg(bytes));
                src.rawOffset = where.offset;
                t->storage = Storage::fromFileRange(m_path, where.offset, bytes, name);
                m_state->sources.push_back(src);
                m_out->tensors.push_back(std::move(t));
                return true;
            }
            if (field == Src::Raw) {
                if (qint64(p->raw_data().size()) != bytes)
                    return fail(name, QStringLiteral("raw_data holds %1 bytes, shape %2 needs %3")
                                          .arg(p->raw_data().size())
                                          .arg(t->shapeString())
                                          .arg(bytes));
            } else {
                const int64_t want = numel * (dt == DType::Complex64 ? 2 : 1);
                if (typedCount(*p, field) != want)
                    return fail(name, QStringLiteral("holds %1 values, shape %2 needs %3")
                                          .arg(typedCount(*p, field))
                                          .arg(t->shapeString())
                                          .arg(want));
            }
            auto loader = [model, p, field, dt, numel](QByteArray& out, QString*) {
                if (field == Src::Raw)
                    out = QByteArray(p->raw_data().data(), qsizetype(p->raw_data().size()));
                else
                    out = typedBytes(*p, field, dt, numel);
                return true;
            };
            t->storage = Storage::fromLoader(loader, bytes, name);
        }
        m_state->sources.push_back(src);
        m_out->tensors.push_back(std::move(t));
        return true;
    }

    QString m_path, m_dir;
    std::set<qint64> m_claimed; ///< lazy entries in use (each belongs to one tensor)
    OnnxState* m_state;
    WeightFile* m_out;
};

} // namespace

bool parseOnnxModel(const QByteArray& bytes, const QString& path, onnx::ModelProto* model,
                    QString* error) {
    if (bytes.size() > INT_MAX) {
        *error = QStringLiteral("%1: larger than protobuf's 2 GiB limit").arg(path);
        return false;
    }
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.constData()),
                                              int(bytes.size()));
    in.SetTotalBytesLimit(int(std::max<qsizetype>(bytes.size(), 1)));
    if (!model->ParseFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
        *error = QStringLiteral("%1: not a valid ONNX model (protobuf parsing failed)").arg(path);
        return false;
    }
    if (!model->has_graph()) {
        *error = QStringLiteral("%1: ONNX model without a graph").arg(path);
        return false;
    }
    return true;
}

bool collectOnnxTensors(const QString& path, OnnxState* state, WeightFile* out, QString* error) {
    Collector c(path, state, out);
    if (!c.graph(state->model->mutable_graph())) {
        *error = c.error;
        return false;
    }
    return true;
}

} // namespace ws
