// The NumPy reader and writer against files numpy wrote: exact values, names,
// order, laziness, hostile headers, and edit-save round trips checked by numpy
// itself (tests/scripts/check_numpy_roundtrip.py).
#include "Document.h"
#include "DocumentEdits.h"
#include "EditExpression.h"
#include "ExpectedTensors.h"
#include "FormatRegistry.h"
#include "NumpyFormat.h"
#include "NumpyState.h"

using namespace ws;

namespace {

QString writeTemp(const QTemporaryDir& dir, const QString& name, const QByteArray& bytes) {
    const QString path = dir.filePath(name);
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write(bytes);
    return path;
}

QByteArray npyBytes(const QByteArray& dict, const QByteArray& data, char major = 1) {
    QByteArray h = dict;
    QByteArray out("\x93NUMPY", 6);
    out += major;
    out += char(0);
    if (major == 1) {
        out += char(h.size() & 0xff);
        out += char((h.size() >> 8) & 0xff);
    } else {
        for (int i = 0; i < 4; ++i)
            out += char((h.size() >> (8 * i)) & 0xff);
    }
    return out + h + data;
}

using wstest::applyExpressions;

QString pythonCheck(const QString& original, const QString& saved, const QStringList& exprs) {
    QStringList args{wstest::env("WS_SCRIPTS") + QStringLiteral("/check_numpy_roundtrip.py"),
                     original, saved};
    args << exprs;
    QString out;
    wstest::runPython(args, &out);
    return out.trimmed();
}

} // namespace

class TestNumpyFormat : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void valuesMatchNumpy_data();
    void valuesMatchNumpy();
    void layoutAndLaziness();
    void detection();
    void parserAcceptsNumpyVariants();
    void hostileHeaders_data();
    void hostileHeaders();
    void hostileArchives();
    void corruptionSweep_data();
    void corruptionSweep();
    void roundTrip_data();
    void roundTrip();
    void saveTwice();
    void convertToNpz();
};

void TestNumpyFormat::valuesMatchNumpy_data() {
    QTest::addColumn<QString>("file");
    const QJsonObject all = wstest::expectedJson(QStringLiteral("numpy"));
    QVERIFY(!all.isEmpty());
    for (const QString& k : all.keys())
        QTest::newRow(qPrintable(k)) << k;
}

void TestNumpyFormat::valuesMatchNumpy() {
    QFETCH(QString, file);
    const QJsonObject all = wstest::expectedJson(QStringLiteral("numpy"));
    QString err;
    auto wf = openWeightFile(wstest::fixture(QStringLiteral("numpy/") + file), &err);
    QVERIFY2(wf, qPrintable(err));
    QCOMPARE(wf->formatId, QStringLiteral("numpy"));
    for (const auto& t : wf->tensors)
        QVERIFY2(!t->storage->isLoaded(), qPrintable(t->name)); // lazy
    const QString diff = wstest::compareTensors(*wf, all[file].toArray());
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
}

void TestNumpyFormat::layoutAndLaziness() {
    QString err;
    auto npy = openWeightFile(wstest::fixture("numpy/dtype_f4.npy"), &err);
    QVERIFY(npy);
    QCOMPARE(npy->tensors[0]->storage->fileOffset(), 128); // numpy pads the header to 64
    QCOMPARE(npy->tensors[0]->storage->byteSize(), 24);

    auto fortran = openWeightFile(wstest::fixture("numpy/fortran_f4.npy"), &err);
    const Tensor& f = *fortran->tensors[0];
    QCOMPARE(f.strides, (std::vector<int64_t>{1, 2, 6}));
    QVERIFY(!f.isContiguous());
    QVERIFY(f.storage->fileOffset() > 0); // no copy: the raw bytes in the file

    auto be = openWeightFile(wstest::fixture("numpy/be_f4.npy"), &err);
    QCOMPARE(be->tensors[0]->storage->fileOffset(), -1); // swapped by a loader

    auto stored = openWeightFile(wstest::fixture("numpy/stored.npz"), &err);
    QVERIFY(stored);
    auto state = std::dynamic_pointer_cast<NumpyState>(stored->state);
    QVERIFY(state && state->isNpz);
    QCOMPARE(int(state->entries.size()), 8);
    QCOMPARE(stored->tensors[0]->storage->fileOffset(),
             state->entries[0].zip.dataOffset + state->entries[0].array.header.dataOffset);
    QCOMPARE(stored->tensors[2]->strides, (std::vector<int64_t>{1, 2})); // Fortran entry
    QVERIFY(stored->tensors[7]->shape.empty());                          // 0-D

    auto compressed = openWeightFile(wstest::fixture("numpy/compressed.npz"), &err);
    QVERIFY(compressed);
    QCOMPARE(compressed->tensors[0]->storage->fileOffset(), -1);
    QVERIFY(!compressed->tensors[1]->storage->isLoaded());
    std::vector<double> v;
    QVERIFY(compressed->tensors[1]->valuesDouble(&v, &err));
    QVERIFY(compressed->tensors[1]->storage->isLoaded());
    QVERIFY(!compressed->tensors[0]->storage->isLoaded()); // only what was asked for

    auto named = openWeightFile(wstest::fixture("numpy/conv1.weight.npy"), &err);
    QCOMPARE(named->tensors[0]->name, QStringLiteral("conv1.weight"));
}

void TestNumpyFormat::detection() {
    NumpyFormat f;
    QCOMPARE(f.probe(QByteArray("\x93NUMPY\x01\x00", 8), QStringLiteral("x.bin")), 2);
    QCOMPARE(f.probe(QByteArray("hello"), QStringLiteral("x.npz")), 1);
    QCOMPARE(f.probe(QByteArray("hello"), QStringLiteral("x.pt")), 0);
    QString err;
    for (const char* name : {"numpy/stored.npz", "numpy/compressed.npz", "numpy/v2.npy"}) {
        const FileFormat* d = detectFormat(wstest::fixture(name), &err);
        QVERIFY(d);
        QCOMPARE(d->id(), QStringLiteral("numpy"));
    }
    // Record names with '/': NumPy's, and PyTorch's probe (which knows nothing of
    // NumPy) claims them with less certainty
    QFile slash(wstest::fixture("numpy/slash.npz"));
    QVERIFY(slash.open(QIODevice::ReadOnly));
    const QByteArray slashHead = slash.read(4096);
    QVERIFY(formatById("pytorch")->probe(slashHead, slash.fileName()) <
            formatById("numpy")->probe(slashHead, slash.fileName()));
    QCOMPARE(detectFormat(slash.fileName(), &err)->id(), QStringLiteral("numpy"));
    // PyTorch's zip checkpoints stay PyTorch's
    const FileFormat* pt = detectFormat(wstest::fixture("pytorch/mlp_state_dict.pt"), &err);
    QVERIFY(pt);
    QCOMPARE(pt->id(), QStringLiteral("pytorch"));
    QFile ptFile(wstest::fixture("pytorch/mlp_state_dict.pt"));
    QVERIFY(ptFile.open(QIODevice::ReadOnly));
    QVERIFY(f.probe(ptFile.read(4096), ptFile.fileName()) < 2);
}

void TestNumpyFormat::parserAcceptsNumpyVariants() {
    NpyHeader h;
    QString problem;
    QVERIFY2(
        parseNpyDict("{'shape': (3L, 4L), 'fortran_order': True, \"descr\": '>i2'}", &h, &problem),
        qPrintable(problem));
    QCOMPARE(h.shape, (std::vector<int64_t>{3, 4}));
    QVERIFY(h.fortranOrder && h.bigEndian);
    QCOMPARE(h.dtype, DType::Int16);
    QVERIFY(parseNpyDict("{'descr':'|u1','fortran_order':False,'shape':()}   \n", &h, &problem));
    QVERIFY(h.shape.empty());
    QCOMPARE(h.numel, 1);
    QVERIFY(
        parseNpyDict("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 5), }", &h, &problem));
    QCOMPARE(h.numel, 0);
}

void TestNumpyFormat::hostileHeaders_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("message");
    const QByteArray f4 = QByteArray(16, '\0');
    auto npy = [](const char* dict, const QByteArray& data) { return npyBytes(dict, data); };
    QTest::newRow("object") << npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", f4)
                            << "unsupported object dtype";
    QTest::newRow("structured")
        << npy("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,), }",
               f4)
        << "structured";
    QTest::newRow("string") << npy("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", f4)
                            << "unsupported string dtype";
    QTest::newRow("longdouble") << npy("{'descr': '<f16', 'fortran_order': False, 'shape': (1,), }",
                                       f4)
                                << "unsupported";
    QTest::newRow("absurd shape")
        << npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", f4)
        << "absurd shape";
    QTest::newRow("huge dim") << npy("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                     "(99999999999999999999,), }",
                                     f4)
                              << "too large";
    QTest::newRow("past the end")
        << npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000,), }", f4)
        << "only 16 follow";
    QTest::newRow("negative dim")
        << npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", f4) << "non-negative";
    QTest::newRow("missing key") << npy("{'descr': '<f4', 'shape': (2,), }", f4) << "lacks";
    QTest::newRow("extra key")
        << npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", f4)
        << "unexpected key";
    QTest::newRow("duplicate key")
        << npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", f4)
        << "twice";
    QTest::newRow("not a dict") << npy("['descr', '<f4']", f4) << "not a dict";
    QTest::newRow("unterminated") << npy("{'descr': '<f4", f4) << "unterminated";
    QTest::newRow("float dim") << npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,), }",
                                      f4)
                               << "float";
    QTest::newRow("fortran not bool")
        << npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", f4) << "fortran_order";
    QTest::newRow("deep nesting") << npy(QByteArray(200, '(').constData(), f4) << "too deep";
    QTest::newRow("header past end")
        << QByteArray("\x93NUMPY\x01\x00\xff\x00{'de", 14) << "past the end";
    QTest::newRow("absurd v2 header")
        << QByteArray("\x93NUMPY\x02\x00\xff\xff\xff\x7f{'descr'", 19) << "absurd";
    QTest::newRow("version 9") << QByteArray("\x93NUMPY\x09\x00\x10\x00{}", 12) << "version";
    QTest::newRow("too short") << QByteArray("\x93NUMPY\x01", 7) << "magic";
}

void TestNumpyFormat::hostileHeaders() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, message);
    QTemporaryDir dir;
    const QString path = writeTemp(dir, QStringLiteral("bad.npy"), bytes);
    QString err;
    auto file = NumpyFormat().read(path, &err);
    QVERIFY(!file);
    QVERIFY2(err.contains(path), qPrintable(err));
    QVERIFY2(err.contains(message), qPrintable(err));
}

void TestNumpyFormat::hostileArchives() {
    QFile in(wstest::fixture("numpy/stored.npz"));
    QVERIFY(in.open(QIODevice::ReadOnly));
    const QByteArray good = in.readAll();
    QTemporaryDir dir;
    QString err;
    // A deflated record claiming an uncompressed size far beyond what deflate can do
    QFile cin(wstest::fixture("numpy/compressed.npz"));
    QVERIFY(cin.open(QIODevice::ReadOnly));
    QByteArray bomb = cin.readAll();
    const int cd = int(bomb.lastIndexOf(QByteArray("PK\x01\x02", 4), -1));
    QVERIFY(cd > 0);
    int first = int(bomb.indexOf(QByteArray("PK\x01\x02", 4)));
    bomb[first + 24] = char(0xfe);
    bomb[first + 25] = char(0xff);
    bomb[first + 26] = char(0xff);
    bomb[first + 27] = char(0x7f);
    // is listed as unreadable; the other arrays open.
    auto bombed = NumpyFormat().read(writeTemp(dir, "bomb.npz", bomb), &err);
    QVERIFY2(bombed, qPrintable(err));
    TensorPtr t = bombed->find(QStringLiteral("fc1.weight"));
    QVERIFY(t);
    QVERIFY2(t->problem.contains("claims"), qPrintable(t->problem));
    std::vector<double> values;
    QVERIFY(!t->valuesDouble(&values, &err));
    QVERIFY2(err.contains("fc1.weight.npy"), qPrintable(err));
    QVERIFY(bombed->find(QStringLiteral("fc2.weight"))->valuesDouble(&values, &err));
    // An unsupported compression method: likewise
    QByteArray method = good;
    first = int(method.indexOf(QByteArray("PK\x01\x02", 4)));
    method[first + 10] = 12; // bzip2
    auto methodFile = NumpyFormat().read(writeTemp(dir, "m.npz", method), &err);
    QVERIFY2(methodFile, qPrintable(err));
    QVERIFY2(methodFile->tensors[0]->problem.contains("method 12"),
             qPrintable(methodFile->tensors[0]->problem));
    // Central directory pointing past the end
    QByteArray cut = good.left(good.size() / 2) + good.right(22);
    QVERIFY(!NumpyFormat().read(writeTemp(dir, "cut.npz", cut), &err));
    QVERIFY(!err.isEmpty());
}

void TestNumpyFormat::corruptionSweep_data() {
    QTest::addColumn<QString>("file");
    for (const char* f : {"dtype_f4.npy", "be_c8.npy", "fortran_be_i2.npy", "v2.npy", "scalar.npy",
                          "stored.npz", "compressed.npz", "descriptor.npz"})
        QTest::newRow(f) << QString::fromLatin1(f);
}

void TestNumpyFormat::corruptionSweep() {
    QFETCH(QString, file);
    const QString problem = wstest::corruptionSweep(
        NumpyFormat(), wstest::fixture(QStringLiteral("numpy/") + file), 300);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
}

void TestNumpyFormat::roundTrip_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QStringList>("exprs");
    QTest::newRow("npy f4") << "dtype_f4.npy"
                            << QStringList{"dtype_f4[0, :] = 0.5", "dtype_f4 *= 0.9"};
    QTest::newRow("npy big-endian") << "be_i8.npy" << QStringList{"be_i8[1:, 0] += 3"};
    QTest::newRow("npy big-endian half") << "be_f2.npy" << QStringList{"be_f2[2, 1] = 1.5"};
    QTest::newRow("npy fortran") << "fortran_f4.npy"
                                 << QStringList{"fortran_f4[1, 0:2, 3] = -7", "fortran_f4 += 1"};
    QTest::newRow("npy fortran big-endian")
        << "fortran_be_i2.npy" << QStringList{"fortran_be_i2[:, 1] -= 2"};
    QTest::newRow("npy v2") << "v2.npy" << QStringList{"v2[3, 1] = 42"};
    QTest::newRow("npy scalar") << "scalar.npy" << QStringList{"scalar = 1.25"};
    QTest::newRow("npy unedited") << "dtype_u8.npy" << QStringList{};
    const QStringList npz{"fc1.weight[0:2, :] = 0.25",
                          "fc2.weight[1, 3] = -1",
                          "big_endian[1:4] += 7",
                          "half[0, 1] = 2",
                          "flags[1] = 1",
                          "scalar = 9"};
    QTest::newRow("npz stored") << "stored.npz" << npz;
    QTest::newRow("npz compressed") << "compressed.npz" << npz;
    QTest::newRow("npz one entry") << "compressed.npz" << QStringList{"ids[0] = 5"};
    QTest::newRow("npz unedited") << "stored.npz" << QStringList{};
    QTest::newRow("npz descriptors") << "descriptor.npz" << QStringList{"a[1] = 3"};
    QTest::newRow("npz descriptors b") << "descriptor.npz" << QStringList{"b[1, 0] -= 2"};
    QTest::newRow("npy v3") << "v3.npy" << QStringList{"v3[0] = -2"};
}

void TestNumpyFormat::roundTrip() {
    QFETCH(QString, file);
    QFETCH(QStringList, exprs);
    const QString original = wstest::fixture(QStringLiteral("numpy/") + file);
    QTemporaryDir dir;
    const QString saved = dir.filePath(file);
    QVERIFY(QFile::copy(original, saved));
    QString err;
    auto wf = openWeightFile(saved, &err);
    QVERIFY2(wf, qPrintable(err));
    Document doc(std::move(wf));
    QVERIFY2(applyExpressions(doc, exprs, &err), qPrintable(err));
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QVERIFY(!doc.isModified());
    QCOMPARE(pythonCheck(original, saved, exprs), QStringLiteral("OK"));
    if (exprs.isEmpty()) {
        QFile a(original), b(saved);
        QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
        if (file.endsWith(QLatin1String(".npy"))) QCOMPARE(b.readAll(), a.readAll());
    }
}

void TestNumpyFormat::saveTwice() {
    const QString original = wstest::fixture("numpy/compressed.npz");
    QTemporaryDir dir;
    const QString saved = dir.filePath("c.npz");
    QVERIFY(QFile::copy(original, saved));
    QString err;
    Document doc(openWeightFile(saved, &err));
    QVERIFY(applyExpressions(doc, {"fc1.bias = 1"}, &err));
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QVERIFY(applyExpressions(doc, {"ids[2] = -4"}, &err));
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QCOMPARE(pythonCheck(original, saved, {"fc1.bias = 1", "ids[2] = -4"}), QStringLiteral("OK"));
    doc.undoStack()->undo();
    doc.undoStack()->undo();
    QVERIFY(doc.save(saved, &err));
    QCOMPARE(pythonCheck(original, saved, {}), QStringLiteral("OK"));
}

void TestNumpyFormat::convertToNpz() {
    QString err;
    Document doc(openWeightFile(wstest::fixture("safetensors/mlp.safetensors"), &err));
    QTemporaryDir dir;
    const QString out = dir.filePath("m.npz");
    QVERIFY2(doc.save(out, &err, formatById("numpy")), qPrintable(err));
    auto back = openWeightFile(out, &err);
    QVERIFY2(back, qPrintable(err));
    QCOMPARE(back->tensors.size(), doc.file().tensors.size());
    for (size_t i = 0; i < back->tensors.size(); ++i) {
        std::vector<double> a, b;
        QVERIFY(back->tensors[i]->valuesDouble(&a, &err));
        QVERIFY(doc.file().tensors[i]->valuesDouble(&b, &err));
        QCOMPARE(back->tensors[i]->name, doc.file().tensors[i]->name);
        QVERIFY(a == b);
    }
    QString pyOut;
    QCOMPARE(wstest::runPython({"-c",
                                "import numpy,sys; z=numpy.load(sys.argv[1]); "
                                "print(len(z.files))",
                                out},
                               &pyOut),
             0);
    QCOMPARE(pyOut.trimmed().toInt(), int(back->tensors.size()));
}

QTEST_GUILESS_MAIN(TestNumpyFormat)
#include "tst_numpyformat.moc"
