// Hostile PyTorch checkpoints: truncations and byte flips of every fixture, and
// hand-made files (os.system REDUCE, short records, strides past the storage,
// absurd shapes, deep nesting, bad memo indices, bad opcodes). Each must either
// open or fail with a message naming the file; nothing may crash, hang or run.
#include "Document.h"
#include "PyTorchFormat.h"
#include "TestUtil.h"
#include "ZipWriter.h"

#include "ZipArchive.h"

#include <QBuffer>
#include <QDirIterator>
#include <QTemporaryDir>
#include <cstring>
#include <random>

using namespace ws;

namespace {

// A byte string literal that may contain NUL bytes.
template <size_t N> QByteArray B(const char (&s)[N]) {
    return QByteArray(s, int(N - 1));
}

QByteArray le16(int v) {
    return QByteArray(1, char(v & 0xff)) + char((v >> 8) & 0xff);
}
QByteArray le32(quint32 v) {
    QByteArray b;
    for (int i = 0; i < 4; ++i)
        b += char((v >> (8 * i)) & 0xff);
    return b;
}
QByteArray le64(quint64 v) {
    QByteArray b;
    for (int i = 0; i < 8; ++i)
        b += char((v >> (8 * i)) & 0xff);
    return b;
}

struct Record {
    QString name;
    QByteArray data;
    int method = 0;
    qint64 uncompressed = -1; ///< the size the directory claims, if not data's
};

// A minimal zip writer (stored records, CRC-32 of the bytes as written; the reader
// checks the CRC of small stored storage records). With \a zip64, offsets go through
// zip64 extras and the zip64 end records. \a uncompressed overrides the size of a
// record (a lying directory).
QByteArray makeZip(const QList<Record>& records, bool zip64 = false) {
    QByteArray out, cd;
    for (const Record& r : records) {
        const QByteArray name = r.name.toUtf8();
        const quint32 offset = quint32(out.size());
        const quint32 crc = crc32Update(0, r.data.constData(), r.data.size());
        const quint32 usize =
            r.uncompressed >= 0 ? quint32(r.uncompressed) : quint32(r.data.size());
        out += le32(0x04034b50) + le16(20) + le16(0) + le16(r.method) + le32(0) + le32(crc) +
               le32(quint32(r.data.size())) + le32(usize) + le16(name.size()) + le16(0) + name +
               r.data;
        const QByteArray extra = zip64 ? le16(1) + le16(8) + le64(offset) : QByteArray();
        cd += le32(0x02014b50) + le16(45) + le16(45) + le16(0) + le16(r.method) + le32(0) +
              le32(crc) + le32(quint32(r.data.size())) + le32(usize) + le16(name.size()) +
              le16(extra.size()) + le16(0) + le16(0) + le16(0) + le32(0) +
              le32(zip64 ? 0xffffffffu : offset) + name + extra;
    }
    const quint32 cdOffset = quint32(out.size());
    out += cd;
    if (zip64) {
        const quint64 end64 = quint64(out.size());
        out += le32(0x06064b50) + le64(44) + le16(45) + le16(45) + le32(0) + le32(0) +
               le64(quint64(records.size())) + le64(quint64(records.size())) +
               le64(quint64(cd.size())) + le64(cdOffset);
        out += le32(0x07064b50) + le32(0) + le64(end64) + le32(1);
        return out + le32(0x06054b50) + le16(0) + le16(0) + le16(0xffff) + le16(0xffff) +
               le32(0xffffffffu) + le32(0xffffffffu) + le16(0);
    }
    out += le32(0x06054b50) + le16(0) + le16(0) + le16(records.size()) + le16(records.size()) +
           le32(quint32(cd.size())) + le32(cdOffset) + le16(0);
    return out;
}

QByteArray str(const QByteArray& s) {
    return "X" + le32(quint32(s.size())) + s;
}
QByteArray tuple(const std::vector<qint64>& v) {
    QByteArray b = "(";
    for (qint64 x : v)
        b += "\x8a\x08" + le64(quint64(x));
    return b + "t";
}

// {"w": _rebuild_tensor_v2(storage(FloatStorage, "0", numel), offset, size, stride)}
QByteArray tensorPickle(qint64 numel, const std::vector<qint64>& size,
                        const std::vector<qint64>& stride, qint64 offset = 0,
                        const QByteArray& storageClass = "FloatStorage") {
    return QByteArray("\x80\x02}(") + str("w") + "ctorch._utils\n_rebuild_tensor_v2\n((" +
           str("storage") + "ctorch\n" + storageClass + "\n" + str("0") + str("cpu") + "\x8a\x08" +
           le64(quint64(numel)) + "tQ" + "\x8a\x08" + le64(quint64(offset)) + tuple(size) +
           tuple(stride) + "\x89" + "ccollections\nOrderedDict\n)RtRu.";
}

// ('storage', torch.<cls>, key, 'cpu', numel) as a BINPERSID
QByteArray pid(const QByteArray& cls, const QByteArray& key, qint64 numel) {
    return "(" + str("storage") + "ctorch\n" + cls + "\n" + str(key) + str("cpu") + "\x8a\x08" +
           le64(quint64(numel)) + "tQ";
}

// _rebuild_tensor_v2(pid, 0, size, stride, False, OrderedDict())
QByteArray rebuildV2(const QByteArray& cls, const QByteArray& key, qint64 numel,
                     const std::vector<qint64>& size, const std::vector<qint64>& stride) {
    return "ctorch._utils\n_rebuild_tensor_v2\n(" + pid(cls, key, numel) + "\x8a\x08" + le64(0) +
           tuple(size) + tuple(stride) + "\x89" + "ccollections\nOrderedDict\n)RtR";
}

// {"q": per-channel quantized int8 tensor over data/0, scales data/1, zero points data/2}
QByteArray perChannelPickle(qint64 qnumel, const std::vector<qint64>& size, qint64 scales,
                            const std::vector<qint64>& scalesSize, qint64 zeros, qint64 axis) {
    return QByteArray("\x80\x02}(") + str("q") + "ctorch._utils\n_rebuild_qtensor\n(" +
           pid("QInt8Storage", "0", qnumel) + "\x8a\x08" + le64(0) + tuple(size) +
           tuple(size.size() == 2 ? std::vector<qint64>{size[1], 1} : std::vector<qint64>{1}) +
           "(ctorch\nper_channel_affine\n" +
           rebuildV2("DoubleStorage", "1", scales, scalesSize, {1}) +
           rebuildV2("LongStorage", "2", zeros, scalesSize, {1}) + "\x8a\x08" +
           le64(quint64(axis)) + "t\x89" + "ccollections\nOrderedDict\n)RtRu.";
}

// {"s": sparse COO of dense size \a dense, indices [ndim, nnz] in data/0, values data/1}
QByteArray sparsePickle(const std::vector<qint64>& dense, qint64 nnz) {
    const qint64 ndim = qint64(dense.size());
    return QByteArray("\x80\x02}(") + str("s") + "ctorch._utils\n_rebuild_sparse_tensor\n(" +
           "ctorch.serialization\n_get_layout\n(" + str("torch.sparse_coo") + "tR(" +
           rebuildV2("LongStorage", "0", ndim * nnz, {ndim, nnz}, {nnz, 1}) +
           rebuildV2("FloatStorage", "1", nnz, {nnz}, {1}) + "ctorch\nSize\n(" + tuple(dense) +
           "tRttRu.";
}

QByteArray checkpoint(const QByteArray& pickle, const QByteArray& storage = QByteArray(16, '\0'),
                      int method = 0) {
    return makeZip({{QStringLiteral("archive/data.pkl"), pickle, 0},
                    {QStringLiteral("archive/data/0"), storage, method},
                    {QStringLiteral("archive/version"), "3\n", 0}});
}

} // namespace

class TestPyTorchHostile : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_counter = 0;

    QString write(const QByteArray& bytes) {
        const QString path = m_dir.filePath(QStringLiteral("f%1.pt").arg(m_counter++));
        QFile f(path);
        if (f.open(QIODevice::WriteOnly)) f.write(bytes);
        return path;
    }
    // Opens and loads every tensor; returns the error ("" on success). Fails the
    // test if an error does not name the file.
    QString exercise(const QString& path) {
        QString err;
        auto file = PyTorchFormat().read(path, &err);
        if (!file) {
            if (err.isEmpty() || !err.contains(path)) return QStringLiteral("BAD:") + err;
            return err;
        }
        for (const auto& t : file->tensors) {
            std::vector<double> v;
            QString lerr;
            if (!t->valuesDouble(&v, &lerr) && lerr.isEmpty()) return QStringLiteral("BAD:load");
        }
        return QString();
    }
    QString expectError(const QByteArray& bytes) {
        const QString path = write(bytes);
        QString err;
        auto file = PyTorchFormat().read(path, &err);
        if (file) {
            // may fail only when loading
            for (const auto& t : file->tensors) {
                QString lerr;
                std::vector<double> v;
                if (!t->valuesDouble(&v, &lerr)) return lerr;
            }
            return QString();
        }
        if (!err.contains(path)) return QStringLiteral("error does not name the file: ") + err;
        return err;
    }
    static QStringList fixtureFiles() {
        QStringList out;
        QDirIterator it(wstest::fixture(QStringLiteral("pytorch")), QDir::Files);
        while (it.hasNext())
            out << it.next();
        out.sort();
        // the real-world shapes: quantized, sparse, complex, TorchScript, protocol 5
        for (const char* rel :
             {"quantized/quantized.pt", "quantized/quantized_legacy.pt", "sparse/sparse.pt",
              "sparse/sparse_legacy.pt", "complex/complex_legacy.pt", "torchscript/traced.pt",
              "legacy/legacy_protocol5.pt"})
            out << wstest::fixture(QStringLiteral("realworld/") + QLatin1String(rel));
        return out;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void sanity() { QCOMPARE(expectError(checkpoint(tensorPickle(4, {2, 2}, {2, 1}))), QString()); }

    void truncationSweep() {
        const QStringList files = fixtureFiles();
        QVERIFY(files.size() >= 10);
        for (const QString& f : files) {
            QFile in(f);
            QVERIFY(in.open(QIODevice::ReadOnly));
            const QByteArray all = in.readAll();
            const int step = std::max(1, int(all.size() / 300));
            for (int len = 0; len < all.size();
                 len += (len < 256 || all.size() - len < 256) ? 1 : step) {
                const QString r = exercise(write(all.left(len)));
                QVERIFY2(!r.startsWith(QLatin1String("BAD:")),
                         qPrintable(f + QLatin1Char(' ') + r));
                QFile::remove(m_dir.filePath(QStringLiteral("f%1.pt").arg(m_counter - 1)));
            }
        }
    }

    void byteFlips() {
        std::mt19937 rng(12345);
        for (const QString& f : fixtureFiles()) {
            QFile in(f);
            QVERIFY(in.open(QIODevice::ReadOnly));
            const QByteArray all = in.readAll();
            for (int round = 0; round < 400; ++round) {
                QByteArray m = all;
                const int flips = 1 + int(rng() % 8);
                for (int k = 0; k < flips; ++k)
                    m[int(rng() % quint32(m.size()))] = char(rng());
                const QString r = exercise(write(m));
                QVERIFY2(!r.startsWith(QLatin1String("BAD:")),
                         qPrintable(f + QLatin1Char(' ') + r));
                QFile::remove(m_dir.filePath(QStringLiteral("f%1.pt").arg(m_counter - 1)));
            }
        }
    }

    void globalsAreInert() {
        const QString marker = m_dir.filePath(QStringLiteral("pwned"));
        const QByteArray cmd = "touch " + marker.toUtf8();
        for (const QByteArray& g :
             {QByteArray("cos\nsystem\n"), QByteArray("cbuiltins\neval\n"),
              QByteArray("cposix\nsystem\n"), QByteArray("csubprocess\ncall\n")}) {
            const QByteArray pkl =
                "\x80\x02}(" + str("evil") + g + str(cmd) + "\x85R" + str("x") + "K\x07u.";
            const QString path = write(checkpoint(pkl));
            QString err;
            auto file = PyTorchFormat().read(path, &err);
            QVERIFY2(file, qPrintable(err));
            QVERIFY(file->tensors.empty());
            QVERIFY(!QFile::exists(marker));
        }
    }

    void shortRecord() {
        const QString e =
            expectError(checkpoint(tensorPickle(100, {10, 10}, {10, 1}), QByteArray(16, 0)));
        QVERIFY2(e.contains(QLatin1String("data/0")) && e.contains(QLatin1String("400")),
                 qPrintable(e));
    }

    void stridesPastStorage() {
        const QString e = expectError(checkpoint(tensorPickle(4, {4, 4}, {4, 1})));
        QVERIFY2(e.contains(QLatin1String("past the storage")), qPrintable(e));
        const QString o = expectError(checkpoint(tensorPickle(4, {2}, {1}, 3)));
        QVERIFY2(!o.isEmpty(), "offset past the end must fail");
        const QString s = expectError(checkpoint(tensorPickle(4, {}, {}, 7)));
        QVERIFY2(s.contains(QLatin1String("past the storage")), qPrintable(s));
        const QString n = expectError(checkpoint(tensorPickle(4, {2}, {-1}, 0)));
        QVERIFY2(!n.isEmpty(), "negative stride must fail");
    }

    void absurdShape() {
        const QString e = expectError(checkpoint(tensorPickle(4, {1 << 30, 1 << 30}, {0, 0})));
        QVERIFY2(e.contains(QLatin1String("absurd")), qPrintable(e));
        const QString n = expectError(checkpoint(tensorPickle(qint64(1) << 60, {4}, {1})));
        QVERIFY2(!n.isEmpty(), qPrintable(n));
    }

    void deepNesting() {
        wstest::Watchdog dog(QStringLiteral("deepNesting"), 120);
        const QByteArray lists =
            "\x80\x02" + QByteArray(100000, ']') + QByteArray(99999, 'a') + ".";
        const QString e = expectError(checkpoint(lists));
        QVERIFY2(e.contains(QLatin1String("deeper")), qPrintable(e));
        const QByteArray marks = "\x80\x02" + QByteArray(100000, '(') + ".";
        const QString m = expectError(checkpoint(marks));
        QVERIFY2(m.contains(QLatin1String("deeper")), qPrintable(m));
    }

    void repeatedSharing() {
        // l0 = []; l(i+1) = [li, li]: 2^60 paths to walk unless bounded
        QByteArray p = B("\x80\x02]q\x00");
        for (int i = 0; i < 60; ++i)
            p += "]q" + QByteArray(1, char(i + 1)) + "(h" + QByteArray(1, char(i)) + "h" +
                 QByteArray(1, char(i)) + "e";
        p += ".";
        wstest::Watchdog dog(QStringLiteral("repeatedSharing"), 120); // 2^60 paths would hang
        const QString e = expectError(checkpoint(p));
        QVERIFY2(e.contains(QLatin1String("repeats too often to walk")), qPrintable(e));
    }

    void zip64Records() {
        const QByteArray zip =
            makeZip({{QStringLiteral("z/data.pkl"), tensorPickle(4, {2, 2}, {2, 1}), 0},
                     {QStringLiteral("z/data/0"), QByteArray(16, 0), 0},
                     {QStringLiteral("z/version"), "3\n", 0}},
                    true);
        const QString path = write(zip);
        QString err;
        auto file = PyTorchFormat().read(path, &err);
        QVERIFY2(file, qPrintable(err));
        QCOMPARE(int(file->tensors.size()), 1);
        std::vector<double> v;
        QVERIFY(file->tensors[0]->valuesDouble(&v, &err));
        QCOMPARE(v, std::vector<double>(4, 0.0));
        // a broken zip64 locator
        QByteArray bad = zip;
        bad[bad.size() - 22 - 20] = 'X';
        QVERIFY(expectError(bad).contains(QLatin1String("zip64")));
    }

    void unsupportedIsNoted() {
        const QString path =
            write(checkpoint(tensorPickle(4, {4}, {1}, 0, "QUInt4x2Storage"), QByteArray(16, 0)));
        QString err;
        auto file = PyTorchFormat().read(path, &err);
        QVERIFY2(file, qPrintable(err));
        QVERIFY(file->tensors.empty());
        QVERIFY(file->metadata.value(QStringLiteral("unsupported tensors"))
                    .contains(QLatin1String("QUInt4x2Storage")));
    }

    void longNames() {
        wstest::Watchdog dog(QStringLiteral("longNames"), 240); // unbounded names: hours
        QString e = expectError(checkpoint("\x80\x02"
                                           "c" +
                                           QByteArray(2000, 'a') + "\nb\n."));
        QVERIFY2(e.contains(QLatin1String("longer")), qPrintable(e));
        // one 1 MB key, memoized, used at 300 nesting levels: names must not explode
        QByteArray p = "\x80\x02X" + le32(1 << 20) + QByteArray(1 << 20, 'k') +
                       B("q\x00"
                         "0}");
        for (int i = 0; i < 300; ++i)
            p += B("h\x00}");
        p += QByteArray(300, 's') + ".";
        e = expectError(checkpoint(p));
        QVERIFY2(e.contains(QLatin1String("longer")), qPrintable(e));
        // {60000-character key: [t, t, t, ...300000 times]}: 18 GB of names unless bounded
        const QByteArray tensor = tensorPickle(4, {4}, {1}).mid(4 + 6).chopped(2);
        p = "\x80\x02}X" + le32(60000) + QByteArray(60000, 'k') + "(" + tensor + B("q\x01");
        for (int i = 0; i < 300000; ++i)
            p += B("h\x01");
        p += "ls.";
        e = expectError(checkpoint(p));
        QVERIFY2(e.contains(QLatin1String("plausibly")), qPrintable(e));
    }

    void cycle() {
        // a list that contains itself
        QCOMPARE(expectError(checkpoint(B("\x80\x02]q\x00h\x00"
                                          "a."))),
                 QString());
    }

    void badPickles() {
        struct Case {
            QByteArray pickle;
            const char* expected;
        } cases[] = {
            {B("\x80\x02h\x05."), "memo"},
            {"\x80\x02j\xff\xff\xff\xff.", "memo"},
            {"\x80\x02\xff.", "opcode"},
            {"\x80\x02]K\x01K\x02s.", "not a dict"},
            {"\x80\x02K\x01K\x02"
             "a.",
             "not a list"},
            {"\x80\x02\x8b\xff\xff\xff\x7f.", "ends early"},
            {"\x80\x02X\xff\xff\xff\x7f.", "remain"},
            {"\x80\x02t.", "MARK"},
            {"\x80\x02R.", "underflow"},
            {"\x80\x02", "STOP"},
            {"\x80\x02\x95\xff\xff\xff\xff\xff\xff\xff\x7f.", "ends early"},
            {"\x80\x09N.", "protocol"},
        };
        for (const Case& c : cases) {
            const QString e = expectError(checkpoint(c.pickle));
            QVERIFY2(e.contains(QLatin1String(c.expected)) && e.contains(QLatin1String("data.pkl")),
                     qPrintable(QLatin1String(c.expected) + QLatin1String(" / ") + e));
        }
    }

    void badArchives() {
        // compressed storage record
        QString e = expectError(checkpoint(tensorPickle(4, {4}, {1}), QByteArray(16, 0), 12));
        QVERIFY2(e.contains(QLatin1String("method 12")), qPrintable(e));
        // deflated record whose bytes are no deflate stream: fails on load
        e = expectError(checkpoint(tensorPickle(4, {4}, {1}), QByteArray(16, '\xff'), 8));
        QVERIFY2(!e.isEmpty(), "a corrupt deflate stream must fail");
        // no top folder
        e = expectError(makeZip({{QStringLiteral("data.pkl"), "\x80\x02N.", 0}}));
        QVERIFY2(e.contains(QLatin1String("top folder")), qPrintable(e));
        // missing storage record
        e = expectError(makeZip({{QStringLiteral("a/data.pkl"), tensorPickle(4, {4}, {1}), 0},
                                 {QStringLiteral("a/version"), "3\n", 0}}));
        QVERIFY2(e.contains(QLatin1String("no such record")), qPrintable(e));
        // no version
        e = expectError(makeZip({{QStringLiteral("a/data.pkl"), "\x80\x02N.", 0}}));
        QVERIFY2(e.contains(QLatin1String("version")), qPrintable(e));
        // not a checkpoint at all
        e = expectError("PK\x03\x04garbage");
        QVERIFY2(!e.isEmpty(), "garbage zip must fail");
    }

    // Per-channel quantized tensors: a sane one decodes as torch does; absurd scale
    // counts, mismatched channels and a bad axis damage only that tensor, and nothing
    // is allocated for what the pickle claims.
    void quantizedPerChannel() {
        const auto zip = [](const QByteArray& pkl, const QByteArray& scales,
                            const QByteArray& zeros) {
            const QByteArray q = QByteArray::fromHex("01020304fe06"); // 1 2 3 4 -2 6
            return makeZip({{QStringLiteral("a/data.pkl"), pkl},
                            {QStringLiteral("a/data/0"), q},
                            {QStringLiteral("a/data/1"), scales},
                            {QStringLiteral("a/data/2"), zeros},
                            {QStringLiteral("a/version"), "3\n"}});
        };
        QByteArray scales, zeros;
        for (double v : {0.5, 0.25}) {
            quint64 bits;
            std::memcpy(&bits, &v, 8);
            scales += le64(bits);
        }
        zeros = le64(0) + le64(1);
        const QString good = write(zip(perChannelPickle(6, {2, 3}, 2, {2}, 2, 0), scales, zeros));
        QString err;
        auto file = PyTorchFormat().read(good, &err);
        QVERIFY2(file, qPrintable(err));
        QCOMPARE(file->tensors[0]->typeName(), QStringLiteral("qint8"));
        std::vector<double> v;
        QVERIFY2(file->tensors[0]->valuesDouble(&v, &err), qPrintable(err));
        QCOMPARE(v, (std::vector<double>{0.5, 1, 1.5, 0.75, -0.75, 1.25}));

        const QString absurd = expectError(zip(
            perChannelPickle(6, {2, 3}, qint64(1) << 40, {qint64(1) << 40}, 2, 0), scales, zeros));
        QVERIFY2(absurd.contains(QLatin1String("scales")), qPrintable(absurd));
        const QString mismatch =
            expectError(zip(perChannelPickle(6, {2, 3}, 2, {2}, 2, 1), scales, zeros));
        QVERIFY2(mismatch.contains(QLatin1String("channels")), qPrintable(mismatch));
        const QString axis =
            expectError(zip(perChannelPickle(6, {2, 3}, 2, {2}, 2, 7), scales, zeros));
        QVERIFY2(axis.contains(QLatin1String("axis")), qPrintable(axis));
        // nor can it be edited
        auto again = PyTorchFormat().read(good, &err);
        Document doc(std::move(again));
        QVERIFY(!doc.edit(0, Region::whole(*doc.file().tensors[0]), EditOperation::set(1), &err));
        QVERIFY2(err.contains(QLatin1String("cannot be edited")), qPrintable(err));
    }

    // Sparse COO tensors whose indices run past their size, or whose dense size is
    // absurd, fail when read with a message; the dense form is never allocated.
    void sparseIndicesPastSize() {
        const auto zip = [](const QByteArray& pkl, const QByteArray& indices) {
            return makeZip({{QStringLiteral("a/data.pkl"), pkl},
                            {QStringLiteral("a/data/0"), indices},
                            {QStringLiteral("a/data/1"), QByteArray(8, 0)},
                            {QStringLiteral("a/version"), "3\n"}});
        };
        QCOMPARE(expectError(zip(sparsePickle({3}, 2), le64(0) + le64(2))), QString());
        const QString past = expectError(zip(sparsePickle({3}, 2), le64(0) + le64(5)));
        QVERIFY2(past.contains(QLatin1String("out of range")), qPrintable(past));
        const QString negative =
            expectError(zip(sparsePickle({3}, 2), le64(0) + le64(quint64(-1))));
        QVERIFY2(negative.contains(QLatin1String("out of range")), qPrintable(negative));
        QElapsedTimer timer;
        timer.start();
        const QString huge = expectError(
            zip(sparsePickle({1 << 20, 1 << 20, 1 << 20}, 1), le64(0) + le64(0) + le64(0)));
        QVERIFY2(huge.contains(QLatin1String("cannot be shown")), qPrintable(huge));
        QVERIFY(timer.elapsed() < 5000);
        // the indices say 2 values, the values record holds 2: a 1-D index tensor is not [1, nnz]
        const QString shape = expectError(
            makeZip({{QStringLiteral("a/data.pkl"), sparsePickle({3, 3}, 2)},
                     {QStringLiteral("a/data/0"), le64(0) + le64(1) + le64(0) + le64(1)},
                     {QStringLiteral("a/data/1"), QByteArray(4, 0)},
                     {QStringLiteral("a/version"), "3\n"}}));
        QVERIFY2(!shape.isEmpty(), "values shorter than nnz must fail");
    }

    // TorchScript archives whose code records lie (a size the deflate stream does not
    // have, garbage instead of deflate, a stored record naming parameters) still open;
    // the lying records are only not believed, and a save copies them as they are.
    void torchScriptRecordsThatLie() {
        const QByteArray pkl = QByteArray("\x80\x02"
                                          "c__torch__.m\nNet\n)\x81}(") +
                               str("w") + rebuildV2("FloatStorage", "0", 4, {4}, {1}) + str("b") +
                               rebuildV2("FloatStorage", "1", 2, {2}, {1}) + "ub.";
        const QByteArray code = "class Net(Module):\n  __parameters__ = [\"w\", ]\n";
        const QByteArray zip =
            makeZip({{QStringLiteral("a/data/0"), QByteArray(16, 0)},
                     {QStringLiteral("a/data/1"), QByteArray(8, 0)},
                     {QStringLiteral("a/data.pkl"), pkl},
                     {QStringLiteral("a/code/__torch__/m.py"), code},
                     {QStringLiteral("a/code/__torch__/x.py"), "\xff\xfe", 8, qint64(1) << 31},
                     {QStringLiteral("a/code/__torch__/y.py"), "\x03\x00", 8, 99},
                     {QStringLiteral("a/constants.pkl"), "\x80\x02).", 0},
                     {QStringLiteral("a/version"), "1\n"}});
        const QString path = write(zip);
        QString err;
        auto file = PyTorchFormat().read(path, &err);
        QVERIFY2(file, qPrintable(err));
        QCOMPARE(file->formatName, QStringLiteral("TorchScript archive"));
        QCOMPARE(int(file->tensors.size()), 2);
        QCOMPARE(file->tensors[0]->name, QStringLiteral("w"));
        QVERIFY(file->tensors[0]->isParameter);
        QVERIFY(!file->tensors[1]->isParameter);
        std::vector<double> v;
        QVERIFY2(file->tensors[0]->valuesDouble(&v, &err), qPrintable(err));
        // the archive saves with every record as it was, lies included
        QByteArray saved;
        QBuffer out(&saved);
        QVERIFY(out.open(QIODevice::WriteOnly));
        QVERIFY2(PyTorchFormat().write(*file, &out, &err), qPrintable(err));
        out.close();
        const QString copy = write(saved);
        QFile f(copy);
        QVERIFY(f.open(QIODevice::ReadOnly));
        ZipArchive before, after;
        QFile g(path);
        QVERIFY(g.open(QIODevice::ReadOnly));
        QVERIFY(before.open(g, &err) && after.open(f, &err));
        QCOMPARE(after.entries().size(), before.entries().size());
        for (size_t i = 0; i < before.entries().size(); ++i) {
            const ZipEntry &a = before.entries()[i], &b = after.entries()[i];
            QCOMPARE(b.name, a.name);
            QCOMPARE(b.method, a.method);
            QCOMPARE(b.crc32, a.crc32);
            QCOMPARE(b.uncompressedSize, a.uncompressedSize);
            QCOMPARE(b.dataOffset % 64, qint64(0));
            g.seek(a.dataOffset);
            f.seek(b.dataOffset);
            QCOMPARE(f.read(b.compressedSize), g.read(a.compressedSize));
        }
    }

    void legacyBadCounts() {
        auto legacy = [](quint64 count, int bytes) -> QByteArray {
            return B("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.") +
                   B("\x80\x02M\xe9\x03.") + B("\x80\x02}.") + tensorPickle(4, {4}, {1}) +
                   "\x80\x02(" + str("0") + "l." + le64(count) + QByteArray(bytes, 0);
        };
        QCOMPARE(expectError(legacy(4, 16)), QString());
        QString e = expectError(legacy(quint64(1) << 62, 16));
        QVERIFY2(e.contains(QLatin1String("claims")), qPrintable(e));
        e = expectError(legacy(2, 8));
        QVERIFY2(e.contains(QLatin1String("needs")), qPrintable(e));
        e = expectError(legacy(4, 16).left(200));
        QVERIFY2(!e.isEmpty(), "truncated legacy file must fail");
    }
};

QTEST_GUILESS_MAIN(TestPyTorchHostile)
#include "tst_pytorchhostile.moc"
