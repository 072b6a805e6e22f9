// The two pickles the PyTorch writer makes: the zip-format data.pkl derived
// from a legacy object pickle (by walking its opcodes and dropping the view
// metadata None of each persistent id), and a fresh state_dict pickle.
#include "PyTorchWriter.h"

#include <QtEndian>
#include <cstring>

namespace ws {

namespace {

// Length of the argument bytes of the opcode at \a p (protocols 0-5), or -1
// when unknown or running past \a end. Text arguments end at a newline.
qint64 argLength(const char* p, const char* end) {
    const auto u8 = [&](qint64 at) -> qint64 { return p + at < end ? uchar(p[at]) : -1; };
    const auto u32 = [&](qint64 at) -> qint64 {
        if (p + at + 4 > end) return -1;
        return qint64(qFromLittleEndian<quint32>(p + at));
    };
    const auto line = [&](qint64 from) -> qint64 {
        const char* nl = static_cast<const char*>(std::memchr(p + from, '\n', end - p - from));
        return nl ? nl - p : -1;
    };
    switch (uchar(p[0])) {
    case '(':
    case ')':
    case '.':
    case '0':
    case '1':
    case '2':
    case 'N':
    case 'Q':
    case 'R':
    case ']':
    case 'a':
    case 'b':
    case 'd':
    case 'e':
    case 'l':
    case 's':
    case 't':
    case 'u':
    case '}':
    case 0x81:
    case 0x85:
    case 0x86:
    case 0x87:
    case 0x88:
    case 0x89:
    case 0x8f:
    case 0x90:
    case 0x91:
    case 0x92:
    case 0x93:
    case 0x94:
    case 0x97:
    case 0x98:
        return 0;
    case 0x80:
    case 'K':
    case 'h':
    case 'q':
    case 0x82:
        return 1;
    case 'M':
    case 0x83:
        return 2;
    case 'J':
    case 'j':
    case 'r':
    case 0x84:
        return 4;
    case 'G':
        return 8;
    case 0x95: // FRAME
        return 8;
    case 0x8a: { // LONG1
        qint64 n = u8(1);
        return n < 0 ? -1 : 1 + n;
    }
    case 'U':
    case 'C':
    case 0x8c: { // SHORT_BINSTRING, SHORT_BINBYTES, SHORT_BINUNICODE
        qint64 n = u8(1);
        return n < 0 ? -1 : 1 + n;
    }
    case 'T':
    case 'X':
    case 'B':
    case 0x8b: { // BINSTRING, BINUNICODE, BINBYTES, LONG4
        qint64 n = u32(1);
        return n < 0 ? -1 : 4 + n;
    }
    case 0x8d:
    case 0x8e:
    case 0x96: { // BINUNICODE8, BINBYTES8, BYTEARRAY8
        if (p + 9 > end) return -1;
        qint64 n = qint64(qFromLittleEndian<quint64>(p + 1));
        return n < 0 ? -1 : 8 + n;
    }
    case 'c': { // GLOBAL: two lines
        qint64 a = line(1);
        if (a < 0) return -1;
        qint64 b = line(a + 1);
        return b < 0 ? -1 : b;
    }
    case 'I':
    case 'L':
    case 'F':
    case 'S':
    case 'V':
    case 'g':
    case 'p':
    case 'P':
    case 'i': {
        if (uchar(p[0]) == 'i') { // INST: two lines
            qint64 a = line(1);
            if (a < 0) return -1;
            qint64 b = line(a + 1);
            return b < 0 ? -1 : b;
        }
        qint64 a = line(1);
        return a < 0 ? -1 : a;
    }
    default:
        return -1;
    }
}

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
    default:
        return nullptr;
    }
}

} // namespace

bool legacyPickleToZip(const QByteArray& legacy, QByteArray* out, QString* error) {
    out->clear();
    out->reserve(legacy.size());
    const char* begin = legacy.constData();
    const char* end = begin + legacy.size();
    // Positions of the last opcodes, to recognise "NONE TUPLE [BINPUT n] BINPERSID".
    qint64 prev[3] = {-1, -1, -1};
    std::vector<qint64> dropped;
    for (const char* p = begin; p < end;) {
        const qint64 n = argLength(p, end);
        if (n < 0 || p + 1 + n > end) {
            *error = QStringLiteral("unknown or truncated pickle opcode at byte %1").arg(p - begin);
            return false;
        }
        const uchar op = uchar(*p);
        if (op == 'Q') {
            qint64 tupleAt = prev[0];
            int k = 0;
            if (tupleAt >= 0 && (begin[tupleAt] == 'q' || begin[tupleAt] == 'r'))
                tupleAt = prev[++k];
            const bool pidTuple = tupleAt >= 0 && begin[tupleAt] == 't';
            const qint64 noneAt = k + 1 < 3 ? prev[k + 1] : -1;
            if (pidTuple) {
                if (noneAt < 0 || begin[noneAt] != 'N') {
                    *error = QStringLiteral("persistent id at byte %1 has view metadata; such "
                                            "storage views are not supported")
                                 .arg(p - begin);
                    return false;
                }
                dropped.push_back(noneAt);
            }
            // a memo reference (BINGET of an already rewritten pid) needs nothing
        }
        prev[2] = prev[1];
        prev[1] = prev[0];
        prev[0] = p - begin;
        if (op == '.') break;
        p += 1 + n;
    }
    qint64 from = 0;
    for (qint64 at : dropped) {
        out->append(begin + from, int(at - from));
        from = at + 1;
    }
    out->append(begin + from, int(legacy.size() - from));
    return true;
}

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
