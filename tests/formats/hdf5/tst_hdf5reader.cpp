// The HDF5 reader against files written with h5py by
// tests/fixtures/make_hdf5_fixtures.py (Keras 2 model and weights, Keras 3
// weights, a generic file): names, order, dtypes, shapes and values as h5py
// reads them, Keras layer kinds in the layer tree, listed non-tensor entries,
// laziness, user blocks, and datasets that claim more than the file holds.
#include "FormatRegistry.h"
#include "Hdf5Format.h"
#include "LayerTree.h"
#include "TestUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace ws;

namespace {

QJsonObject expectedFor(const QString& file) {
    QFile f(wstest::fixture(QStringLiteral("hdf5/expected.json")));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object().value(file).toObject();
}

std::unique_ptr<WeightFile> open(const QString& rel) {
    QString err;
    auto file = openWeightFile(wstest::fixture(QStringLiteral("hdf5/") + rel), &err);
    if (!file) qWarning("%s", qPrintable(err));
    return file;
}

const LayerNode* findNode(const LayerNode& root, const QString& path) {
    if (root.path == path) return &root;
    for (const auto& c : root.children)
        if (const LayerNode* n = findNode(*c, path)) return n;
    return nullptr;
}

QStringList otherPaths(const WeightFile& f) {
    QStringList out;
    for (const QString& e : f.otherEntries)
        out << e.left(e.indexOf(QStringLiteral(": ")));
    return out;
}

} // namespace

class TestHdf5Reader : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void matchesH5py_data();
    void matchesH5py();
    void lazy();
    void keras2LayerTree();
    void keras2Weights();
    void keras3Layers();
    void genericOtherEntries();
    void probeAndUserBlock();
    void claimedSizesAreRefused();
    void notHdf5();
    void contiguousDataReadStraightFromTheFile();
};

void TestHdf5Reader::matchesH5py_data() {
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QString>("formatName");
    QTest::newRow("keras2 model") << "keras2_model.h5"
                                  << "Keras 2.11.0 HDF5 model";
    QTest::newRow("keras2 weights") << "keras2_weights.h5"
                                    << "Keras 2.11.0 HDF5 weights";
    QTest::newRow("keras3") << "keras3.weights.h5"
                            << "Keras 3 weights (HDF5)";
    QTest::newRow("generic") << "generic.h5"
                             << "HDF5";
}

void TestHdf5Reader::matchesH5py() {
    QFETCH(QString, fixture);
    QFETCH(QString, formatName);
    const QJsonObject expected = expectedFor(fixture);
    QVERIFY(!expected.isEmpty());
    auto file = open(fixture);
    QVERIFY(file);
    QCOMPARE(file->formatId, QStringLiteral("hdf5"));
    QCOMPARE(file->formatName, formatName);
    QCOMPARE(file->separator, QLatin1Char('/'));
    const QJsonArray tensors = expected.value(QLatin1String("tensors")).toArray();
    QStringList names, expectedNames;
    for (const auto& t : file->tensors)
        names << t->name;
    for (const QJsonValue& v : tensors)
        expectedNames << v.toObject().value(QLatin1String("name")).toString();
    QCOMPARE(names, expectedNames);
    for (int i = 0; i < tensors.size(); ++i) {
        const QJsonObject e = tensors[i].toObject();
        const Tensor& t = *file->tensors[size_t(i)];
        QCOMPARE(dtypeName(t.dtype), e.value(QLatin1String("dtype")).toString());
        std::vector<int64_t> shape;
        for (const QJsonValue& d : e.value(QLatin1String("shape")).toArray())
            shape.push_back(d.toInteger());
        QCOMPARE(t.shape, shape);
        std::vector<double> values;
        QString err;
        QVERIFY2(t.valuesDouble(&values, &err), qPrintable(err));
        const QJsonArray ev = e.value(QLatin1String("values")).toArray();
        QCOMPARE(qsizetype(values.size()), ev.size());
        for (int k = 0; k < ev.size(); ++k)
            if (values[size_t(k)] != ev[k].toDouble())
                QFAIL(qPrintable(QStringLiteral("%1[%2]: %3 != %4")
                                     .arg(t.name)
                                     .arg(k)
                                     .arg(values[size_t(k)], 0, 'g', 17)
                                     .arg(ev[k].toDouble(), 0, 'g', 17)));
    }
    QStringList expectedOther;
    for (const QJsonValue& v : expected.value(QLatin1String("other")).toArray())
        expectedOther << v.toString();
    QCOMPARE(otherPaths(*file), expectedOther);
}

void TestHdf5Reader::lazy() {
    auto file = open(QStringLiteral("generic.h5"));
    QVERIFY(file);
    for (const auto& t : file->tensors)
        QVERIFY(!t->storage->isLoaded());
    TensorPtr c = file->find(QStringLiteral("compressed"));
    QVERIFY(c);
    QCOMPARE(c->storage->key(), QStringLiteral("compressed"));
    QString err;
    QVERIFY2(c->check(&err), qPrintable(err));
    for (const auto& t : file->tensors)
        QCOMPARE(t->storage->isLoaded(), t == c);
    // the loader reopens the file: it still works after a copy moved underneath
    c->storage->unload();
    QVERIFY(!c->storage->isLoaded());
    QVERIFY(c->check(&err));
}

void TestHdf5Reader::keras2LayerTree() {
    auto file = open(QStringLiteral("keras2_model.h5"));
    QVERIFY(file);
    QCOMPARE(file->metadata.value(QStringLiteral("backend")), QStringLiteral("tensorflow"));
    QCOMPARE(file->metadata.value(QStringLiteral("keras_version")), QStringLiteral("2.11.0"));
    for (const auto& t : file->tensors) {
        const bool kernel = t->name.endsWith(QLatin1String("/kernel:0"));
        QCOMPARE(t->inputMajor, kernel);
    }
    auto tree = buildLayerTree(*file);
    const LayerNode* dense = findNode(*tree, QStringLiteral("model_weights/dense/dense"));
    QVERIFY(dense);
    QCOMPARE(dense->kind, QStringLiteral("Dense"));
    QCOMPARE(dense->detail, QStringLiteral("in 4 -> out 3"));
    const LayerNode* conv = findNode(*tree, QStringLiteral("model_weights/conv/conv"));
    QVERIFY(conv);
    QCOMPARE(conv->kind, QStringLiteral("Conv"));
    QCOMPARE(conv->detail, QStringLiteral("2 -> 5, 3x3"));
    // classes from model_config, layers in layer_names order (dropout has no weights)
    const LayerNode* weights = findNode(*tree, QStringLiteral("model_weights"));
    QVERIFY(weights);
    QStringList order, kinds;
    for (const auto& c : weights->children) {
        order << c->name;
        kinds << c->kind;
    }
    QCOMPARE(order, QStringList({"dense", "conv", "dropout", "batch_normalization", "classifier"}));
    QCOMPARE(kinds, QStringList({"Dense", "Conv2D", "Dropout", "BatchNormalization", "Dense"}));
    const LayerNode* head = findNode(*tree, QStringLiteral("model_weights/classifier/classifier"));
    QVERIFY(head);
    QCOMPARE(head->detail, QStringLiteral("in 5 -> out 2"));
}

void TestHdf5Reader::keras2Weights() {
    auto file = open(QStringLiteral("keras2_weights.h5"));
    QVERIFY(file);
    QCOMPARE(file->modules.size(), size_t(2));
    QCOMPARE(file->modules[0].path, QStringLiteral("dense_1"));
    QCOMPARE(file->modules[0].className, QStringLiteral("Dense")); // inferred from the name
    auto tree = buildLayerTree(*file);
    const LayerNode* d = findNode(*tree, QStringLiteral("dense_1/dense_1"));
    QVERIFY(d);
    QCOMPARE(d->detail, QStringLiteral("in 3 -> out 4"));
}

void TestHdf5Reader::keras3Layers() {
    auto file = open(QStringLiteral("keras3.weights.h5"));
    QVERIFY(file);
    QHash<QString, QString> classes;
    for (const ModuleInfo& m : file->modules)
        classes.insert(m.path, m.className);
    QCOMPARE(classes.value(QStringLiteral("layers/dense")), QStringLiteral("Dense (my_dense)"));
    QCOMPARE(classes.value(QStringLiteral("layers/dense_1")), QStringLiteral("Dense (head)"));
    QCOMPARE(classes.value(QStringLiteral("layers/conv2d")), QStringLiteral("Conv2D"));
    QCOMPARE(classes.value(QStringLiteral("layers/custom_layer")), QStringLiteral("CustomLayer"));
    for (const auto& t : file->tensors) {
        const bool kernel = t->name == QLatin1String("layers/dense/vars/0") ||
                            t->name == QLatin1String("layers/dense_1/vars/0") ||
                            t->name == QLatin1String("layers/conv2d/vars/0");
        QVERIFY2(t->inputMajor == kernel, qPrintable(t->name));
    }
    auto tree = buildLayerTree(*file);
    const LayerNode* dense = findNode(*tree, QStringLiteral("layers/dense"));
    QVERIFY(dense);
    QCOMPARE(dense->kind, QStringLiteral("Dense (my_dense)"));
    QCOMPARE(kerasClassFromLayerName(QStringLiteral("conv2d_transpose_3")),
             QStringLiteral("Conv2DTranspose"));
    QCOMPARE(kerasClassFromLayerName(QStringLiteral("batch_normalization_1")),
             QStringLiteral("BatchNormalization"));
    QCOMPARE(kerasClassFromLayerName(QStringLiteral("lstm")), QStringLiteral("LSTM"));
}

void TestHdf5Reader::genericOtherEntries() {
    auto file = open(QStringLiteral("generic.h5"));
    QVERIFY(file);
    const QString all = file->otherEntries.join(QLatin1Char('\n'));
    QVERIFY2(all.contains(QLatin1String("text: strings")), qPrintable(all));
    QVERIFY2(all.contains(QLatin1String("fixed_text: strings")), qPrintable(all));
    QVERIFY2(all.contains(QLatin1String("pairs: compound type")), qPrintable(all));
    QVERIFY2(all.contains(QLatin1String("link_to_scalar: soft link")), qPrintable(all));
    QCOMPARE(file->metadata.value(QStringLiteral("note")), QStringLiteral("generic fixture"));
    QCOMPARE(file->find(QStringLiteral("scalar"))->rank(), 0);
}

void TestHdf5Reader::probeAndUserBlock() {
    Hdf5Format f;
    const QByteArray magic("\x89HDF\r\n\x1a\n", 8);
    QCOMPARE(f.probe(magic + QByteArray(100, '\0'), QStringLiteral("x.bin")), 2);
    QCOMPARE(f.probe(QByteArray(512, 'u') + magic, QStringLiteral("x.bin")), 2);
    QCOMPARE(f.probe(QByteArray(2048, 'u') + magic, QStringLiteral("x")), 2);
    QCOMPARE(f.probe(QByteArray(100, 'u') + magic, QStringLiteral("x")), 0);
    QCOMPARE(f.probe(QByteArray("junk"), QStringLiteral("m.weights.h5")), 1);
    auto file = open(QStringLiteral("userblock.h5"));
    QVERIFY(file);
    QCOMPARE(file->tensors.size(), size_t(1));
    std::vector<double> v;
    QString err;
    QVERIFY(file->tensors[0]->valuesDouble(&v, &err));
    QCOMPARE(v, std::vector<double>({0, 1, 2, 3, 4, 5}));
}

void TestHdf5Reader::claimedSizesAreRefused() {
    auto file = open(QStringLiteral("claims.h5"));
    QVERIFY(file);
    QCOMPARE(file->tensors.size(), size_t(1));
    QCOMPARE(file->tensors[0]->name, QStringLiteral("small"));
    const QString all = file->otherEntries.join(QLatin1Char('\n'));
    QVERIFY2(all.contains(QLatin1String("contiguous_huge: claims 4000000000 bytes")),
             qPrintable(all));
    QVERIFY2(all.contains(QLatin1String("chunked_huge: decompresses to 4000000000000 bytes")),
             qPrintable(all));
}

void TestHdf5Reader::notHdf5() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bad.h5"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("this is not an HDF5 file at all");
    f.close();
    QString err;
    auto file = openWeightFile(path, &err);
    QVERIFY(!file);
    QVERIFY2(err.startsWith(path) && err.contains(QLatin1String("HDF5")), qPrintable(err));
}

void TestHdf5Reader::contiguousDataReadStraightFromTheFile() {
    // h5py writes contiguous little-endian datasets (read as plain file ranges, no
    // HDF5 library involved), and others that must still go through the library:
    // big-endian, chunked with gzip, never written. A 512-byte user block shifts
    // every address. Values must match what h5py wrote either way.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("raw.h5"));
    QString out;
    const int rc = wstest::runPython(
        {QStringLiteral("-c"),
         QStringLiteral(
             "import sys, os, h5py, numpy as np\n"
             "rng = np.random.default_rng(1)\n"
             "data = {'c32': rng.standard_normal((40, 30)).astype('<f4'),\n"
             "        'c16': rng.standard_normal((7, 9)).astype('<f2'),\n"
             "        'c64': rng.standard_normal((5, 6)).astype('<f8'),\n"
             "        'i32': rng.integers(-1000, 1000, (8, 8)).astype('<i4'),\n"
             "        'be32': rng.standard_normal((6, 4)).astype('>f4'),\n"
             "        'gz': rng.standard_normal((64, 16)).astype('<f4')}\n"
             "with h5py.File(sys.argv[1], 'w', userblock_size=512) as f:\n"
             "    for k, v in data.items():\n"
             "        if k == 'gz':\n"
             "            f.create_dataset(k, data=v, chunks=(16, 16), compression='gzip')\n"
             "        else:\n"
             "            f.create_dataset(k, data=v)\n"
             "    f.create_dataset('unwritten', shape=(3, 3), dtype='<f4')\n"
             "for k, v in data.items():\n"
             "    np.save(os.path.join(sys.argv[2], k + '.npy'), "
             "v.astype(v.dtype.newbyteorder('<')))\n"),
         path, dir.path()},
        &out);
    QVERIFY2(rc == 0, qPrintable(out));
    QString err;
    auto file = openWeightFile(path, &err);
    QVERIFY2(file, qPrintable(err));
    for (const char* name : {"c32", "c16", "c64", "i32", "be32", "gz"}) {
        const TensorPtr t = file->find(QLatin1String(name));
        QVERIFY2(t, name);
        const bool raw = QByteArray(name) != "be32" && QByteArray(name) != "gz";
        QVERIFY2((t->storage->fileOffset() >= 512) == raw, name);
        wstest::Npy expected;
        QVERIFY(
            wstest::readNpy(dir.filePath(QLatin1String(name) + QStringLiteral(".npy")), &expected));
        std::vector<double> values;
        QVERIFY2(t->valuesDouble(&values, &err), qPrintable(err));
        QVERIFY2(values == expected.values, name);
    }
    const TensorPtr unwritten = file->find(QStringLiteral("unwritten"));
    QVERIFY(unwritten);
    QCOMPARE(unwritten->storage->fileOffset(), qint64(-1)); // no storage allocated: fill value
    std::vector<double> zeros;
    QVERIFY2(unwritten->valuesDouble(&zeros, &err), qPrintable(err));
    QCOMPARE(zeros, std::vector<double>(9, 0.0));
}

QTEST_GUILESS_MAIN(TestHdf5Reader)
#include "tst_hdf5reader.moc"
