// The state_dict pickle the PyTorch writer makes for files of other formats. (The
// zip-format data.pkl made from a legacy pickle is in PyTorchPickleTranscode.cpp.)
#include "PyTorchWriter.h"

#include <QtEndian>
#include <cstring>

namespace ws {

namespace {

void putU32(QByteArray& b, quint32 v) {
    char c[4];
    qToLittleEndian(v, c);
    b.append(c, 4);
}
void putUnicode(QByteArray& b, const QString& s) {
    const QByteArray u = s.toUtf8();
    b.append('X');
    putU32(b, quint32(u.size()));
    b.append(u);
}
void putGlobal(QByteArray& b, const char* module, const char* name) {
    b.append('c');
    b.append(module);
    b.append('\n');
    b.append(name);
    b.append('\n');
}
void putInt(QByteArray& b, int64_t v) {
    if (v >= 0 && v < 256) {
        b.append('K');
        b.append(char(v));
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        b.append('J');
        putU32(b, quint32(qint32(v)));
    } else { // LONG1 with 8 bytes, two's complement
        b.append(char(0x8a));
        b.append(char(8));
        char c[8];
        qToLittleEndian<qint64>(v, c);
        b.append(c, 8);
    }
}

const char* storageClass(DType t) {
    switch (t) {
    case DType::Float32:
        return "FloatStorage";
    case DType::Float16:
        return "HalfStorage";
    case DType::BFloat16:
        return "BFloat16Storage";
    case DType::Float64:
        return "DoubleStorage";
    case DType::Int64:
        return "LongStorage";
    case DType::Int32:
        return "IntStorage";
    case DType::Int16:
        return "ShortStorage";
    case DType::Int8:
        return "CharStorage";
    case DType::UInt8:
        return "ByteStorage";
    case DType::Bool:
        return "BoolStorage";
    case DType::Complex64:
        return "ComplexFloatStorage";
    case DType::Complex128:
        return "ComplexDoubleStorage";
    default:
        return nullptr;
    }
}

} // namespace

QByteArray stateDictPickle(const WeightFile& file, const std::vector<QString>& storageKeys) {
    QByteArray b;
    b.append(char(0x80));
    b.append(char(2));
    putGlobal(b, "collections", "OrderedDict");
    b.append(')');
    b.append('R');
    b.append('(');
    for (size_t i = 0; i < file.tensors.size(); ++i) {
        const Tensor& t = *file.tensors[i];
        const char* cls = storageClass(t.dtype);
        if (!cls) return QByteArray();
        putUnicode(b, t.name);
        putGlobal(b, "torch._utils", "_rebuild_tensor_v2");
        b.append('(');
        b.append('(');
        putUnicode(b, QStringLiteral("storage"));
        putGlobal(b, "torch", cls);
        putUnicode(b, storageKeys[i]);
        putUnicode(b, QStringLiteral("cpu"));
        putInt(b, t.storage->byteSize() / dtypeSize(t.dtype));
        b.append('t');
        b.append('Q');
        putInt(b, t.storageOffset);
        b.append('(');
        for (int64_t d : t.shape)
            putInt(b, d);
        b.append('t');
        b.append('(');
        for (int64_t s : t.strides)
            putInt(b, s);
        b.append('t');
        b.append(char(0x89)); // requires_grad False
        putGlobal(b, "collections", "OrderedDict");
        b.append(')');
        b.append('R');
        b.append('t');
        b.append('R');
    }
    b.append('u');
    b.append('.');
    return b;
}

} // namespace ws
