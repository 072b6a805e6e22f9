// The ONNX reader and writer against models torch.onnx.export and onnx.helper
// wrote: exact values in every storage field, names and order, lazy external
// data, hostile models, and edit-save round trips checked by onnx itself
// (tests/scripts/check_onnx_roundtrip.py runs onnx.checker and compares).
#include "Document.h"
#include "DocumentEdits.h"
#include "EditExpression.h"
#include "ExpectedTensors.h"
#include "FormatRegistry.h"
#include "LayerTree.h"
#include "OnnxFormat.h"
#include "OnnxState.h"

#include <QDirIterator>

using namespace ws;

namespace {

using wstest::applyExpressions;

QString pythonCheck(const QString& original, const QString& saved, const QStringList& exprs) {
    QStringList args{wstest::env("WS_SCRIPTS") + QStringLiteral("/check_onnx_roundtrip.py"),
                     original, saved};
    args << exprs;
    QString out;
    wstest::runPython(args, &out);
    return out.trimmed();
}

// A one-initializer model around \a t, serialized to \a dir/name.
QString modelFile(const QTemporaryDir& dir, const QString& name, const onnx::TensorProto& t) {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    *m.mutable_graph()->add_initializer() = t;
    m.mutable_graph()->set_name("g");
    const QString path = dir.filePath(name);
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    const std::string bytes = m.SerializeAsString();
    f.write(bytes.data(), qint64(bytes.size()));
    return path;
}

onnx::TensorProto floatTensor(std::vector<int64_t> dims) {
    onnx::TensorProto t;
    t.set_name("w");
    t.set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims)
        t.add_dims(d);
    return t;
}

onnx::TensorProto externalTensor(const char* location, const char* offset, const char* length) {
    onnx::TensorProto t = floatTensor({2});
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&t](const char* k, const char* v) {
        if (!v) return;
        auto* e = t.add_external_data();
        e->set_key(k);
        e->set_value(v);
    };
    add("location", location);
    add("offset", offset);
    add("length", length);
    return t;
}

} // namespace

class TestOnnxFormat : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void valuesMatchOnnx_data();
    void valuesMatchOnnx();
    void laziness();
    void detection();
    void hostileModels_data();
    void hostileModels();
    void corruptionSweep_data();
    void corruptionSweep();
    void roundTrip_data();
    void roundTrip();
    void saveExternalElsewhere();
    void saveAsBesideOriginal();
    void writeRefusesEditedExternal();
    void convertToOnnx();
    void weightsStayInTheFile();
    void changedOnDiskIsRefused();
    void matMulWeightIsLinear();
    void fileSizeLimitKeepsFiles();
};

void TestOnnxFormat::valuesMatchOnnx_data() {
    QTest::addColumn<QString>("file");
    const QJsonObject all = wstest::expectedJson(QStringLiteral("onnx"));
    QVERIFY(!all.isEmpty());
    for (const QString& k : all.keys())
        QTest::newRow(qPrintable(k)) << k;
}

void TestOnnxFormat::valuesMatchOnnx() {
    QFETCH(QString, file);
    const QJsonObject all = wstest::expectedJson(QStringLiteral("onnx"));
    QString err;
    auto wf = openWeightFile(wstest::fixture(QStringLiteral("onnx/") + file), &err);
    QVERIFY2(wf, qPrintable(err));
    QCOMPARE(wf->formatId, QStringLiteral("onnx"));
    const QString diff = wstest::compareTensors(*wf, all[file].toArray());
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
}

void TestOnnxFormat::laziness() {
    QString err;
    auto wf = openWeightFile(wstest::fixture("onnx/external.onnx"), &err);
    QVERIFY2(wf, qPrintable(err));
    auto state = std::dynamic_pointer_cast<OnnxState>(wf->state);
    QVERIFY(state);
    QCOMPARE(state->sources[0].field, OnnxTensorSource::External);
    QCOMPARE(state->sources[1].field, OnnxTensorSource::Raw);
    QCOMPARE(state->sources[2].field, OnnxTensorSource::External);
    QCOMPARE(wf->tensors[0]->storage->fileOffset(), 0);
    QCOMPARE(wf->tensors[2]->storage->fileOffset(), 48);
    for (const auto& t : wf->tensors)
        QVERIFY(!t->storage->isLoaded());
    std::vector<double> v;
    QVERIFY(wf->tensors[2]->valuesDouble(&v, &err));
    QCOMPARE(v, (std::vector<double>{1, 2, 3}));
    QVERIFY(!wf->tensors[0]->storage->isLoaded());

    auto typed = openWeightFile(wstest::fixture("onnx/typed.onnx"), &err);
    QVERIFY(typed);
    auto ts = std::dynamic_pointer_cast<OnnxState>(typed->state);
    QCOMPARE(ts->sources[0].field, OnnxTensorSource::Float);
    QCOMPARE(ts->sources[7].field, OnnxTensorSource::Int32); // float16 bit patterns
    QCOMPARE(ts->sources[11].field, OnnxTensorSource::UInt64);
    QCOMPARE(typed->metadata.value("producer"), QStringLiteral("weightscope-tests"));
    QCOMPARE(typed->metadata.value("opset ai.onnx"), QStringLiteral("13"));
}

void TestOnnxFormat::detection() {
    OnnxFormat f;
    QString err;
    QFile mlp(wstest::fixture("onnx/torch_mlp.onnx"));
    QVERIFY(mlp.open(QIODevice::ReadOnly));
    const QByteArray head = mlp.read(4096);
    QCOMPARE(f.probe(head, QStringLiteral("model.bin")), 2);
    QCOMPARE(f.probe(QByteArray("garbage"), QStringLiteral("m.onnx")), 1);
    QCOMPARE(f.probe(QByteArray("garbage"), QStringLiteral("m.bin")), 0);
    QTemporaryDir dir;
    const QString renamed = dir.filePath("weights.bin");
    QVERIFY(QFile::copy(mlp.fileName(), renamed));
    const FileFormat* d = detectFormat(renamed, &err);
    QVERIFY(d);
    QCOMPARE(d->id(), QStringLiteral("onnx"));
    // Never claims other formats' fixtures by content.
    int checked = 0;
    for (const char* sub : {"pytorch", "safetensors", "numpy", "hdf5", "core"}) {
        QDirIterator it(wstest::fixture(QString::fromLatin1(sub)), QDir::Files,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            QFile other(it.next());
            QVERIFY(other.open(QIODevice::ReadOnly));
            QVERIFY2(f.probe(other.read(4096), QStringLiteral("x")) < 2,
                     qPrintable(other.fileName()));
            ++checked;
        }
    }
    QVERIFY(checked > 10);
}

void TestOnnxFormat::hostileModels_data() {
    QTest::addColumn<QByteArray>("tensor");
    QTest::addColumn<QString>("message");
    auto bytes = [](const onnx::TensorProto& t) {
        const std::string s = t.SerializeAsString();
        return QByteArray(s.data(), qsizetype(s.size()));
    };
    onnx::TensorProto raw = floatTensor({2, 3});
    raw.set_raw_data(std::string(20, '\0'));
    QTest::newRow("raw too short") << bytes(raw) << "raw_data holds 20 bytes";
    onnx::TensorProto typed = floatTensor({3});
    typed.add_float_data(1.f);
    QTest::newRow("typed too short") << bytes(typed) << "holds 1 values";
    onnx::TensorProto absurd = floatTensor({int64_t(1) << 30, int64_t(1) << 30, 1 << 20});
    QTest::newRow("absurd shape") << bytes(absurd) << "absurd shape";
    onnx::TensorProto negative = floatTensor({-4});
    QTest::newRow("negative dim") << bytes(negative) << "negative dimension";
    QTest::newRow("absolute location")
        << bytes(externalTensor("/etc/passwd", "0", "8")) << "not a relative path";
    QTest::newRow("parent location")
        << bytes(externalTensor("sub/../../x.bin", "0", "8")) << "not a relative path";
    QTest::newRow("missing location")
        << bytes(externalTensor(nullptr, "0", "8")) << "not a relative path";
    QTest::newRow("missing file") << bytes(externalTensor("nope.bin", "0", "8")) << "missing";
    QTest::newRow("past the end") << bytes(externalTensor("data.bin", "12", "8")) << "past the end";
    QTest::newRow("huge offset") << bytes(externalTensor("data.bin", "9223372036854775800", "8"))
                                 << "past the end";
    QTest::newRow("bad length") << bytes(externalTensor("data.bin", "0", "12")) << "does not match";
    QTest::newRow("bad offset") << bytes(externalTensor("data.bin", "-1", "8")) << "bad external";
}

void TestOnnxFormat::hostileModels() {
    QFETCH(QByteArray, tensor);
    QFETCH(QString, message);
    onnx::TensorProto t;
    QVERIFY(t.ParseFromArray(tensor.constData(), int(tensor.size())));
    QTemporaryDir dir;
    QFile data(dir.filePath("data.bin"));
    QVERIFY(data.open(QIODevice::WriteOnly));
    data.write(QByteArray(16, '\1'));
    data.close();
    const QString path = modelFile(dir, "m.onnx", t);
    QString err;
    QVERIFY(!OnnxFormat().read(path, &err));
    QVERIFY2(err.contains(path) && err.contains(message), qPrintable(err));
}

void TestOnnxFormat::corruptionSweep_data() {
    QTest::addColumn<QString>("file");
    for (const char* f : {"torch_mlp.onnx", "typed.onnx", "external.onnx"})
        QTest::newRow(f) << QString::fromLatin1(f);
}

void TestOnnxFormat::corruptionSweep() {
    QFETCH(QString, file);
    const QString problem =
        wstest::corruptionSweep(OnnxFormat(), wstest::fixture(QStringLiteral("onnx/") + file), 400,
                                {wstest::fixture("onnx/external.onnx.data")});
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
}

void TestOnnxFormat::roundTrip_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QStringList>("exprs");
    QTest::newRow("torch export") << "torch_mlp.onnx"
                                  << QStringList{"0.weight[1, 0, 2, :] = 0.5", "3.bias *= 0.9",
                                                 "3.weight[:, 7] -= 1"};
    QTest::newRow("unedited") << "torch_mlp.onnx" << QStringList{};
    QTest::newRow("typed fields") << "typed.onnx"
                                  << QStringList{"layer.float[1, :] = 2.5", "layer.int32[0] += 1",
                                                 "layer.int8[1:] -= 1",     "layer.uint8[1] = 7",
                                                 "layer.int16[1] = -5",     "layer.uint16[2] += 3",
                                                 "layer.bool[1] = 1",       "layer.f16[0, 1] = 1.5",
                                                 "layer.int64[1] = -9",     "layer.double /= 4",
                                                 "layer.uint32[1] = 5",     "layer.uint64[1] = 8",
                                                 "raw.double[2, 1] = -1",   "raw.scalar = 0.25"};
    QTest::newRow("constants") << "typed.onnx"
                               << QStringList{"const_out[1] = 9", "then_out *= 2", "else_out = 0"};
    QTest::newRow("external") << "external.onnx"
                              << QStringList{"ext.w[1:3, 0] = 4", "ext.b += 1",
                                             "inline.ids[2] = 11"};
    QTest::newRow("external unedited") << "external.onnx" << QStringList{};
}

void TestOnnxFormat::roundTrip() {
    QFETCH(QString, file);
    QFETCH(QStringList, exprs);
    const QString original = wstest::fixture(QStringLiteral("onnx/") + file);
    QTemporaryDir dir;
    const QString saved = dir.filePath(file);
    QVERIFY(QFile::copy(original, saved));
    QFile::copy(wstest::fixture("onnx/external.onnx.data"), dir.filePath("external.onnx.data"));
    QString err;
    auto wf = openWeightFile(saved, &err);
    QVERIFY2(wf, qPrintable(err));
    Document doc(std::move(wf));
    QVERIFY2(applyExpressions(doc, exprs, &err), qPrintable(err));
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QVERIFY(!doc.isModified());
    QCOMPARE(pythonCheck(original, saved, exprs), QStringLiteral("OK"));
    // the document now reads the saved file: edit again and save again
    QVERIFY2(applyExpressions(doc, exprs, &err), qPrintable(err));
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QCOMPARE(pythonCheck(original, saved, exprs + exprs), QStringLiteral("OK"));
}

void TestOnnxFormat::saveExternalElsewhere() {
    const QString original = wstest::fixture("onnx/external.onnx");
    QString err;
    Document doc(openWeightFile(original, &err));
    QVERIFY(applyExpressions(doc, {"ext.w[0, 0] = 100"}, &err));
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkdir("sub"));
    const QString saved = dir.filePath("sub/copy.onnx");
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QVERIFY(QFile::exists(dir.filePath("sub/external.onnx.data")));
    QCOMPARE(pythonCheck(original, saved, {"ext.w[0, 0] = 100"}), QStringLiteral("OK"));
    // the fixture itself is untouched
    QCOMPARE(QFileInfo(wstest::fixture("onnx/external.onnx.data")).size(), 72);
    QCOMPARE(pythonCheck(original, original, {}), QStringLiteral("OK"));
}

void TestOnnxFormat::saveAsBesideOriginal() {
    QTemporaryDir dir;
    for (const char* f : {"external.onnx", "external.onnx.data"})
        QVERIFY(QFile::copy(wstest::fixture(QStringLiteral("onnx/") + f), dir.filePath(f)));
    QString err;
    Document doc(openWeightFile(dir.filePath("external.onnx"), &err));
    QVERIFY(applyExpressions(doc, {"ext.w[2, 3] = -8", "inline.ids += 1"}, &err));
    const QString copy = dir.filePath("copy.onnx");
    QVERIFY2(doc.save(copy, &err), qPrintable(err));
    QVERIFY(QFile::exists(dir.filePath("copy.onnx.data")));
    const QString fixture = wstest::fixture("onnx/external.onnx");
    // the original model and its data are untouched; the copy has its own data
    QCOMPARE(pythonCheck(fixture, dir.filePath("external.onnx"), {}), QStringLiteral("OK"));
    QString out;
    QCOMPARE(
        wstest::runPython({"-c",
                           "import onnx,sys; m=onnx.load(sys.argv[1], load_external_data=False);"
                           "print([e.value for e in m.graph.initializer[0].external_data])",
                           copy},
                          &out),
        0);
    QVERIFY2(out.contains("copy.onnx.data"), qPrintable(out));
    // saving the document again (now copy.onnx) keeps writing its own data file
    QVERIFY(applyExpressions(doc, {"ext.b[0] = 3"}, &err));
    QVERIFY2(doc.save(copy, &err), qPrintable(err));
    QStringList args{wstest::env("WS_SCRIPTS") + QStringLiteral("/check_onnx_roundtrip.py"),
                     QStringLiteral("--relocated"),
                     fixture,
                     copy,
                     QStringLiteral("ext.w[2, 3] = -8"),
                     QStringLiteral("inline.ids += 1"),
                     QStringLiteral("ext.b[0] = 3")};
    QCOMPARE(wstest::runPython(args, &out), 0);
    QCOMPARE(pythonCheck(fixture, dir.filePath("external.onnx"), {}), QStringLiteral("OK"));
    QVERIFY(QFile::exists(dir.filePath("copy.onnx.data")));
}

void TestOnnxFormat::writeRefusesEditedExternal() {
    QString err;
    QTemporaryDir dir;
    for (const char* f : {"external.onnx", "external.onnx.data"})
        QVERIFY(QFile::copy(wstest::fixture(QStringLiteral("onnx/") + f), dir.filePath(f)));
    Document doc(openWeightFile(dir.filePath("external.onnx"), &err));
    QVERIFY(applyExpressions(doc, {"ext.w[0, 0] = 1"}, &err));
    QBuffer buf;
    buf.open(QIODevice::WriteOnly);
    QVERIFY(!OnnxFormat().write(doc.file(), &buf, &err));
    QVERIFY2(err.contains("external"), qPrintable(err));
    QVERIFY(!formatById("numpy") || formatById("onnx")->canWrite());
}

void TestOnnxFormat::convertToOnnx() {
    QString err;
    Document doc(openWeightFile(wstest::fixture("numpy/stored.npz"), &err));
    QTemporaryDir dir;
    const QString out = dir.filePath("m.onnx");
    QVERIFY2(doc.save(out, &err, formatById("onnx")), qPrintable(err));
    auto back = openWeightFile(out, &err);
    QVERIFY2(back, qPrintable(err));
    QCOMPARE(back->tensors.size(), doc.file().tensors.size());
    for (size_t i = 0; i < back->tensors.size(); ++i) {
        std::vector<double> a, b;
        QVERIFY(back->tensors[i]->valuesDouble(&a, &err));
        QVERIFY(doc.file().tensors[i]->valuesDouble(&b, &err));
        QCOMPARE(back->tensors[i]->name, doc.file().tensors[i]->name);
        QCOMPARE(back->tensors[i]->dtype, doc.file().tensors[i]->dtype);
        QVERIFY(a == b); // the Fortran-order array gathered in C order
    }
    QString py;
    QCOMPARE(wstest::runPython({"-c",
                                "import onnx,sys; onnx.checker.check_model(sys.argv[1]); "
                                "print(len(onnx.load(sys.argv[1]).graph.initializer))",
                                out},
                               &py),
             0);
    QCOMPARE(py.trimmed().toInt(), int(back->tensors.size()));
}

namespace {

// A model with weights in every place the skeleton reader leaves them in the file:
// initializers, a subgraph's initializer, an unsupported type (complex128) and a
// custom node's TENSORS attribute; big.npy holds the big initializer's values.
QString makeLazyModel(const QTemporaryDir& dir) {
    const QString path = dir.filePath(QStringLiteral("lazy.onnx"));
    QString out;
    const int rc = wstest::runPython(
        {QStringLiteral("-c"),
         QStringLiteral(
             "import sys, numpy as np, onnx\n"
             "from onnx import helper, numpy_helper, TensorProto\n"
             "rng = np.random.default_rng(3)\n"
             "big = rng.standard_normal((300, 200)).astype(np.float32)\n"
             "np.save(sys.argv[2], big)\n"
             "sub = helper.make_graph([helper.make_node('Identity', ['s'], ['y1'])], 'then',\n"
             "    [], [helper.make_tensor_value_info('y1', TensorProto.FLOAT, [64])],\n"
             "    [numpy_helper.from_array(np.arange(64, dtype=np.float32), 's')])\n"
             "els = helper.make_graph([helper.make_node('Identity', ['e'], ['y2'])], 'else',\n"
             "    [], [helper.make_tensor_value_info('y2', TensorProto.FLOAT, [64])],\n"
             "    [numpy_helper.from_array(-np.arange(64, dtype=np.float32), 'e')])\n"
             "custom = helper.make_node('Mix', ['x'], ['z'], domain='example.custom',\n"
             "    tables=[numpy_helper.from_array(np.linspace(0, 1, 100, dtype=np.float32), "
             "'tab')])\n"
             "nodes = [helper.make_node('MatMul', ['x', 'big'], ['h']),\n"
             "         helper.make_node('If', ['cond'], ['r'], then_branch=sub, else_branch=els),\n"
             "         custom]\n"
             "g = helper.make_graph(nodes, 'g',\n"
             "    [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 300]),\n"
             "     helper.make_tensor_value_info('cond', TensorProto.BOOL, [])],\n"
             "    [helper.make_tensor_value_info('h', TensorProto.FLOAT, [1, 200])],\n"
             "    [numpy_helper.from_array(big, 'big'),\n"
             "     numpy_helper.from_array((np.arange(8) + 1j).astype(np.complex128), 'cplx'),\n"
             "     numpy_helper.from_array(np.array([1.5, -2], dtype=np.float32), 'tiny')])\n"
             "m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13),\n"
             "    helper.make_opsetid('example.custom', 1)])\n"
             "onnx.save(m, sys.argv[1])\n"),
         path, dir.filePath(QStringLiteral("big.npy"))},
        &out);
    return rc == 0 ? path : QString();
}

} // namespace

void TestOnnxFormat::weightsStayInTheFile() {
    QTemporaryDir dir;
    const QString path = makeLazyModel(dir);
    QVERIFY(!path.isEmpty());
    QString err;
    auto wf = openWeightFile(path, &err);
    QVERIFY2(wf, qPrintable(err));
    auto state = std::dynamic_pointer_cast<OnnxState>(wf->state);
    QVERIFY(state);
    // big, cplx, the custom node's table and both branch initializers; not "tiny" (8 bytes).
    QCOMPARE(int(state->lazy.size()), 5);
    // The parsed model holds the structure only.
    QVERIFY(state->model->ByteSizeLong() < 4096);
    const TensorPtr big = wf->find(QStringLiteral("big"));
    QVERIFY(big);
    QVERIFY(!big->storage->isLoaded());
    QVERIFY(big->storage->fileOffset() > 0);
    QCOMPARE(big->storage->filePath(), path);
    wstest::Npy expected;
    QVERIFY(wstest::readNpy(dir.filePath(QStringLiteral("big.npy")), &expected));
    std::vector<double> values;
    QVERIFY2(big->valuesDouble(&values, &err), qPrintable(err));
    QCOMPARE(values, expected.values);
    QVERIFY(wf->find(QStringLiteral("then_out")) || wf->find(QStringLiteral("s")));
    std::vector<double> tiny;
    QVERIFY(wf->find(QStringLiteral("tiny"))->valuesDouble(&tiny, &err));
    QCOMPARE(tiny, (std::vector<double>{1.5, -2}));
    // MatMul multiplies by big as an (in, out) matrix: views show it (out, in).
    QVERIFY(big->inputMajor);
    QVERIFY(!wf->find(QStringLiteral("tiny"))->inputMajor);
    auto torch = openWeightFile(wstest::fixture("onnx/torch_mlp.onnx"), &err);
    QVERIFY2(torch, qPrintable(err));
    QVERIFY(!torch->find(QStringLiteral("3.weight"))->inputMajor); // Gemm, transB = 1

    // Saving puts every weight back, edited or not, where onnx finds it.
    Document doc(std::move(wf));
    const QStringList exprs{QStringLiteral("big[0, 0] = 5"), QStringLiteral("s[3] = -1")};
    QVERIFY2(applyExpressions(doc, exprs, &err), qPrintable(err));
    const QString saved = dir.filePath(QStringLiteral("saved.onnx"));
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QCOMPARE(pythonCheck(path, saved, exprs), QStringLiteral("OK"));
    // Saved in place too (the weights are read from the file being replaced).
    QVERIFY2(applyExpressions(doc, {QStringLiteral("big[1, 1] = 7")}, &err), qPrintable(err));
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QCOMPARE(pythonCheck(path, saved, exprs + QStringList{QStringLiteral("big[1, 1] = 7")}),
             QStringLiteral("OK"));
}

void TestOnnxFormat::changedOnDiskIsRefused() {
    // The unedited weights are copied from the model file when saving: if another
    // program rewrote it meanwhile, refuse rather than copy the wrong bytes.
    QTemporaryDir dir;
    const QString path = makeLazyModel(dir);
    QVERIFY(!path.isEmpty());
    QString err;
    auto wf = openWeightFile(path, &err);
    QVERIFY2(wf, qPrintable(err));
    Document doc(std::move(wf));
    QVERIFY2(applyExpressions(doc, {QStringLiteral("tiny[0] = 3")}, &err), qPrintable(err));
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::Append));
        f.write("appended by someone else");
    }
    const QString saved = dir.filePath(QStringLiteral("saved.onnx"));
    QVERIFY(!doc.save(saved, &err));
    QVERIFY2(err.contains(QLatin1String("changed on disk")) && err.contains(path), qPrintable(err));
    QVERIFY(!QFile::exists(saved));
}

void TestOnnxFormat::matMulWeightIsLinear() {
    // torch.onnx exports nn.Linear(4, 3) on 3-D inputs as MatMul by the transposed
    // weight (4 x 3) plus Add: the layer tree still says in 4 -> out 3.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("mm.onnx"));
    QString out;
    QCOMPARE(
        wstest::runPython(
            {QStringLiteral("-c"),
             QStringLiteral(
                 "import sys, numpy as np, onnx\n"
                 "from onnx import helper, numpy_helper, TensorProto\n"
                 "w = np.arange(12, dtype=np.float32).reshape(4, 3)\n"
                 "g = helper.make_graph([helper.make_node('MatMul', ['x', 'fc.weight'], ['h']),\n"
                 "    helper.make_node('Add', ['h', 'fc.bias'], ['y'])], 'g',\n"
                 "    [helper.make_tensor_value_info('x', TensorProto.FLOAT, [2, 5, 4])],\n"
                 "    [helper.make_tensor_value_info('y', TensorProto.FLOAT, [2, 5, 3])],\n"
                 "    [numpy_helper.from_array(w, 'fc.weight'),\n"
                 "     numpy_helper.from_array(np.ones(3, np.float32), 'fc.bias')])\n"
                 "onnx.save(helper.make_model(g), sys.argv[1])\n"),
             path},
            &out),
        0);
    QString err;
    auto file = openWeightFile(path, &err);
    QVERIFY2(file, qPrintable(err));
    QVERIFY(file->find(QStringLiteral("fc.weight"))->inputMajor);
    auto tree = buildLayerTree(*file);
    const LayerNode* fc = tree->child(QStringLiteral("fc"));
    QVERIFY(fc);
    QCOMPARE(fc->kind, QStringLiteral("Linear"));
    QCOMPARE(fc->detail, QStringLiteral("in 4 -> out 3"));
}

void TestOnnxFormat::fileSizeLimitKeepsFiles() {
    // ulimit -f 100: at most 100 KiB per file, less than the 240 KB model. Neither the
    // in-place save nor an .npy export may leave a short file behind.
    QTemporaryDir dir;
    const QString path = makeLazyModel(dir);
    QVERIFY(!path.isEmpty());
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray before = f.readAll();
    f.close();
    const QString npy = dir.filePath(QStringLiteral("out.npy"));
    const auto limited = [&](const QString& command) {
        return wstest::runProcess(QStringLiteral("/bin/bash"),
                                  {QStringLiteral("-c"),
                                   QStringLiteral("ulimit -f 100; ") + command,
                                   wstest::env("WS_BINARY"), path, npy});
    };
    wstest::RunResult r =
        limited(QStringLiteral("exec \"$0\" edit \"$1\" -o \"$1\" 'big[0, 0] = 2'"));
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(path), qPrintable(r.err));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), before);
    f.close();
    r = limited(QStringLiteral("exec \"$0\" export \"$1\" big -o \"$2\""));
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(npy), qPrintable(r.err));
    QVERIFY(!QFile::exists(npy));
    QStringList left = QDir(dir.path()).entryList(QDir::Files);
    left.removeAll(QStringLiteral("big.npy")); // the generator's expected values
    QCOMPARE(left, QStringList{QStringLiteral("lazy.onnx")});
}

QTEST_GUILESS_MAIN(TestOnnxFormat)
#include "tst_onnxformat.moc"
