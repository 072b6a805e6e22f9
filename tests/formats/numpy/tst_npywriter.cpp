// .npy and CSV export, checked by loading the files back with numpy itself.
#include "NpyExport.h"
#include "TestUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <cstring>

using namespace ws;

namespace {

template <typename T>
TensorPtr makeTensor(DType type, std::vector<int64_t> shape, const std::vector<T>& raw) {
    auto t = std::make_shared<Tensor>();
    t->name = QStringLiteral("t");
    t->dtype = type;
    t->setContiguousShape(std::move(shape));
    QByteArray bytes(reinterpret_cast<const char*>(raw.data()), qsizetype(raw.size() * sizeof(T)));
    t->storage = Storage::fromBytes(bytes, QStringLiteral("t"));
    return t;
}

// numpy's view of an .npy: dtype.str, shape, fortran flag and each value as
// Python's repr (str for ints, so int64 stays exact; "re,im" for complex).
const char* kLoadScript = R"(
import json, sys
import numpy as np
a = np.load(sys.argv[1])
def s(x):
    if np.iscomplexobj(x): return repr(float(x.real)) + "," + repr(float(x.imag))
    if a.dtype.kind in "iub": return str(int(x))
    return repr(float(x))
print(json.dumps({"descr": a.dtype.str, "shape": list(a.shape),
                  "fortran": bool(np.isfortran(a)) and a.ndim > 1,
                  "values": [s(x) for x in a.reshape(-1)]}))
)";

QJsonObject numpyLoad(const QString& path) {
    QString output;
    const int rc =
        wstest::runPython({QStringLiteral("-c"), QLatin1String(kLoadScript), path}, &output);
    if (rc != 0) qWarning() << output;
    return QJsonDocument::fromJson(output.toUtf8()).object();
}

QStringList strings(const QJsonArray& a) {
    QStringList out;
    for (const auto& v : a)
        out << v.toString();
    return out;
}

} // namespace

class TstNpyWriter : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;

    void check(const Tensor& t, const QString& descr, const QList<int>& shape,
               const QStringList& values) {
        const QString path = m_tmp.filePath(QStringLiteral("out.npy"));
        QString error;
        QVERIFY2(writeNpy(t, path, &error), qPrintable(error));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray head = f.read(10);
        QVERIFY(head.startsWith("\x93NUMPY\x01\x00"));
        const int hlen = uchar(head[8]) | (uchar(head[9]) << 8);
        QCOMPARE((10 + hlen) % 64, 0);
        const QJsonObject o = numpyLoad(path);
        QCOMPARE(o.value(QLatin1String("descr")).toString(), descr);
        QList<int> gotShape;
        for (const auto& d : o.value(QLatin1String("shape")).toArray())
            gotShape << d.toInt();
        QCOMPARE(gotShape, shape);
        QCOMPARE(o.value(QLatin1String("fortran")).toBool(), false);
        QCOMPARE(strings(o.value(QLatin1String("values")).toArray()), values);
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_tmp.isValid()); }

    void dtypes() {
        check(*makeTensor<float>(DType::Float32, {2, 2}, {1.5f, -0.1f, 3e38f, 0.f}),
              QStringLiteral("<f4"), {2, 2},
              {"1.5", "-0.10000000149011612", "3.0000000054977558e+38", "0.0"});
        check(*makeTensor<double>(DType::Float64, {3}, {0.1 + 0.2, -1e-300, 7.0}),
              QStringLiteral("<f8"), {3}, {"0.30000000000000004", "-1e-300", "7.0"});
        check(*makeTensor<quint16>(DType::Float16, {3}, {0x3C00, 0xC000, 0x7BFF}),
              QStringLiteral("<f2"), {3}, {"1.0", "-2.0", "65504.0"});
        // bfloat16 widens exactly to float32.
        check(*makeTensor<quint16>(DType::BFloat16, {2}, {0x3FC0, 0xC2F7}), QStringLiteral("<f4"),
              {2}, {"1.5", "-123.5"});
        check(*makeTensor<qint64>(DType::Int64, {2}, {(qint64(1) << 53) + 1, -5}),
              QStringLiteral("<i8"), {2}, {"9007199254740993", "-5"});
        check(*makeTensor<quint64>(DType::UInt64, {1}, {~quint64(0)}), QStringLiteral("<u8"), {1},
              {"18446744073709551615"});
        check(*makeTensor<qint32>(DType::Int32, {2}, {-2147483647 - 1, 9}), QStringLiteral("<i4"),
              {2}, {"-2147483648", "9"});
        check(*makeTensor<qint16>(DType::Int16, {1}, {-300}), QStringLiteral("<i2"), {1}, {"-300"});
        check(*makeTensor<qint8>(DType::Int8, {2}, {-128, 127}), QStringLiteral("|i1"), {2},
              {"-128", "127"});
        check(*makeTensor<quint8>(DType::UInt8, {2}, {0, 255}), QStringLiteral("|u1"), {2},
              {"0", "255"});
        check(*makeTensor<quint8>(DType::Bool, {3}, {1, 0, 1}), QStringLiteral("|b1"), {3},
              {"1", "0", "1"});
        check(*makeTensor<quint16>(DType::UInt16, {1}, {65535}), QStringLiteral("<u2"), {1},
              {"65535"});
        check(*makeTensor<quint32>(DType::UInt32, {1}, {4000000000u}), QStringLiteral("<u4"), {1},
              {"4000000000"});
        check(*makeTensor<float>(DType::Complex64, {2}, {1.5f, -2.f, 0.f, 0.25f}),
              QStringLiteral("<c8"), {2}, {"1.5,-2.0", "0.0,0.25"});
        // float8: e4m3fn 0x38 = 1.0, 0xC4 = -3.0; e5m2 0x3C = 1.0, 0x7C = inf.
        check(*makeTensor<quint8>(DType::Float8E4M3, {2}, {0x38, 0xC4}), QStringLiteral("<f4"), {2},
              {"1.0", "-3.0"});
        check(*makeTensor<quint8>(DType::Float8E5M2, {2}, {0x3C, 0x7C}), QStringLiteral("<f4"), {2},
              {"1.0", "inf"});
        check(*makeTensor<float>(DType::Float32, {}, {2.5f}), QStringLiteral("<f4"), {}, {"2.5"});
        check(*makeTensor<float>(DType::Float32, {0, 3}, {}), QStringLiteral("<f4"), {0, 3}, {});
    }

    void nonContiguousViews() {
        std::vector<float> base(12);
        for (int i = 0; i < 12; ++i)
            base[size_t(i)] = float(i);
        auto t = makeTensor<float>(DType::Float32, {3, 4}, base);
        Tensor transposed = *t; // torch: base.t(), size (4,3) stride (1,4)
        transposed.shape = {4, 3};
        transposed.strides = {1, 4};
        check(
            transposed, QStringLiteral("<f4"), {4, 3},
            {"0.0", "4.0", "8.0", "1.0", "5.0", "9.0", "2.0", "6.0", "10.0", "3.0", "7.0", "11.0"});
        Tensor slice = *t; // torch: base[1:, 1:3], offset 5, stride (4,1)
        slice.shape = {2, 2};
        slice.strides = {4, 1};
        slice.storageOffset = 5;
        check(slice, QStringLiteral("<f4"), {2, 2}, {"5.0", "6.0", "9.0", "10.0"});
        std::vector<qint64> longs = {10, 11, 12, 13, 14, 15};
        auto l = makeTensor<qint64>(DType::Int64, {2, 3}, longs);
        l->shape = {3, 2};
        l->strides = {1, 3};
        check(*l, QStringLiteral("<i8"), {3, 2}, {"10", "13", "11", "14", "12", "15"});
    }

    void csv() {
        const QString path = m_tmp.filePath(QStringLiteral("out.csv"));
        QString error;
        auto d = makeTensor<double>(DType::Float64, {2, 2}, {0.1 + 0.2, -1e-300, 1.0 / 3, 5});
        QVERIFY2(writeCsv(*d, path, &error), qPrintable(error));
        QString out;
        QCOMPARE(
            wstest::runPython({QStringLiteral("-c"),
                               QStringLiteral("import numpy as np,sys; a=np.loadtxt(sys.argv[1]"
                                              ",delimiter=',',ndmin=2); print(a.shape, "
                                              "[repr(float(x)) for x in a.reshape(-1)])"),
                               path},
                              &out),
            0);
        QCOMPARE(out.trimmed(), QStringLiteral("(2, 2) ['0.30000000000000004', '-1e-300', "
                                               "'0.3333333333333333', '5.0']"));
        auto f = makeTensor<float>(DType::Float32, {3}, {0.1f, 1e-45f, -7.f});
        QVERIFY(writeCsv(*f, path, &error));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> parts = file.readAll().trimmed().split(',');
        QCOMPARE(parts.size(), 3);
        QCOMPARE(parts[0].toFloat(), 0.1f);
        QCOMPARE(parts[1].toFloat(), 1e-45f);
        QCOMPARE(parts[2], QByteArray("-7"));
        file.close();
        auto l = makeTensor<qint64>(DType::Int64, {1, 2}, {(qint64(1) << 53) + 1, -3});
        QVERIFY(writeCsv(*l, path, &error));
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), QByteArray("9007199254740993,-3\n"));
    }

    void failsWithMessage() {
        auto t = makeTensor<float>(DType::Float32, {2}, {1.f, 2.f});
        QString error;
        const QString bad = m_tmp.filePath(QStringLiteral("no/such/dir/x.npy"));
        QVERIFY(!writeNpy(*t, bad, &error));
        QVERIFY2(error.contains(bad), qPrintable(error));
        t->shape = {3}; // reaches past the storage
        error.clear();
        QVERIFY(!writeNpy(*t, m_tmp.filePath(QStringLiteral("y.npy")), &error));
        QVERIFY(!QFile::exists(m_tmp.filePath(QStringLiteral("y.npy"))));
    }
};

QTEST_GUILESS_MAIN(TstNpyWriter)
#include "tst_npywriter.moc"
