// Keras 3 .keras archives laid out as Keras 3.8 writes them
// (tests/fixtures/make_realworld_keras_fixtures.py): recognised by content, never
// taken for PyTorch; values (bfloat16 included) as h5py reads them; layer classes
// and names from config.json; edits saved as an archive that
// tests/scripts/check_keras_archive.py accepts (other records byte for byte,
// every variable as the original with the edits); Save As .h5 writes the weights
// file itself; damaged archives open or fail with a message.
#include "Document.h"
#include "DocumentEdits.h"
#include "FormatRegistry.h"
#include "KerasArchive.h"
#include "LayerTree.h"
#include "TestUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <random>

using namespace ws;

namespace {

QString fixture(const QString& name) {
    return wstest::fixture(QStringLiteral("realworld/keras/") + name);
}

QJsonObject expectedFor(const QString& path) {
    QFile f(path + QStringLiteral(".expected/expected.json"));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

QString checkArchive(const QStringList& args) {
    QString out;
    wstest::runPython(
        QStringList{wstest::env("WS_SCRIPTS") + QStringLiteral("/check_keras_archive.py")} + args,
        &out);
    return out.trimmed();
}

// Extracts model.weights.h5 of \a keras to \a out with Python's zipfile.
bool extractWeights(const QString& keras, const QString& out) {
    QString log;
    return wstest::runPython({QStringLiteral("-c"),
                              QStringLiteral("import sys, zipfile\n"
                                             "open(sys.argv[2], 'wb').write(zipfile.ZipFile("
                                             "sys.argv[1]).read('model.weights.h5'))"),
                              keras, out},
                             &log) == 0;
}

QString copyTo(const QTemporaryDir& dir, const QString& from, const QString& name) {
    const QString to = dir.filePath(name);
    QFile::remove(to);
    return QFile::copy(from, to) ? to : QString();
}

} // namespace

class TestKerasArchive : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void detectedByContent();
    void valuesAndLayers_data();
    void valuesAndLayers();
    void editSaveCheckWithH5py_data();
    void editSaveCheckWithH5py();
    void saveAsWeightsFile();
    void otherFormatsAreNotSavedAsKeras();
    void damagedArchives();
};

void TestKerasArchive::detectedByContent() {
    QTemporaryDir dir;
    // A .keras renamed to .pt is still a Keras model: its first record has no folder.
    const QString renamed =
        copyTo(dir, fixture(QStringLiteral("functional_f32.keras")), QStringLiteral("model.pt"));
    QString err;
    const FileFormat* f = detectFormat(renamed, &err);
    QVERIFY2(f, qPrintable(err));
    QCOMPARE(f->id(), QStringLiteral("keras"));
    // PyTorch zips (a top folder) and .npz archives are not claimed.
    const QString pt = wstest::fixture(QStringLiteral("realworld/keys/dotted_keys.pt"));
    QCOMPARE(detectFormat(pt, &err)->id(), QStringLiteral("pytorch"));
    QFile head(pt);
    QVERIFY(head.open(QIODevice::ReadOnly));
    QCOMPARE(KerasArchiveFormat().probe(head.read(4096), pt), 0);
    const QString npz = wstest::fixture(QStringLiteral("numpy/stored.npz"));
    QCOMPARE(detectFormat(npz, &err)->id(), QStringLiteral("numpy"));
    // By name alone only for a zip.
    QCOMPARE(KerasArchiveFormat().probe(QByteArray("PK\x03\x04", 4), QStringLiteral("m.keras")), 2);
    QCOMPARE(KerasArchiveFormat().probe(QByteArray("junk"), QStringLiteral("m.keras")), 0);
}

void TestKerasArchive::valuesAndLayers_data() {
    QTest::addColumn<QString>("name");
    QTest::newRow("functional") << "functional_f32.keras";
    QTest::newRow("sequential bfloat16") << "sequential_bf16.keras";
}

void TestKerasArchive::valuesAndLayers() {
    QFETCH(QString, name);
    const QString path = fixture(name);
    const QJsonObject expected = expectedFor(path);
    QVERIFY(!expected.isEmpty());
    QString err;
    auto file = openWeightFile(path, &err);
    QVERIFY2(file, qPrintable(err));
    QCOMPARE(file->formatId, QStringLiteral("keras"));
    QCOMPARE(file->formatName, QStringLiteral("Keras 3.8.0 model (.keras)"));
    QCOMPARE(file->metadata.value(QStringLiteral("keras_version")), QStringLiteral("3.8.0"));
    const QJsonArray tensors = expected.value(QLatin1String("tensors")).toArray();
    QCOMPARE(int(file->tensors.size()), int(tensors.size()));
    for (const QJsonValue& v : tensors) {
        const QJsonObject e = v.toObject();
        const TensorPtr t = file->find(e.value(QLatin1String("h5_path")).toString());
        QVERIFY2(t, qPrintable(e.value(QLatin1String("h5_path")).toString()));
        QCOMPARE(dtypeName(t->dtype), e.value(QLatin1String("dtype")).toString());
        std::vector<int64_t> shape;
        for (const QJsonValue& d : e.value(QLatin1String("shape")).toArray())
            shape.push_back(d.toInteger());
        QCOMPARE(t->shape, shape);
        QVERIFY(!t->storage->isLoaded());
        // contiguous variables are read straight from the archive
        QVERIFY2(t->storage->fileOffset() > 0, qPrintable(t->name));
        wstest::Npy npy;
        QVERIFY(wstest::readNpy(
            path + QStringLiteral(".expected/") + e.value(QLatin1String("npy")).toString(), &npy));
        std::vector<double> values;
        QVERIFY2(t->valuesDouble(&values, &err), qPrintable(err));
        QCOMPARE(values, npy.values);
        const bool kernel = e.value(QLatin1String("index")).toInt() == 0 &&
                            (e.value(QLatin1String("class")).toString() == QLatin1String("Dense") ||
                             e.value(QLatin1String("class")).toString() == QLatin1String("Conv2D"));
        QCOMPARE(t->inputMajor, kernel);
    }
    // Every layer with a vars group, class and name from config.json.
    QHash<QString, const ModuleInfo*> modules;
    for (const ModuleInfo& m : file->modules)
        modules.insert(m.path, &m);
    for (const QJsonValue& v : expected.value(QLatin1String("groups")).toArray()) {
        const QJsonObject g = v.toObject();
        const QString folder = g.value(QLatin1String("path")).toString().chopped(4);
        const QString layer = folder.endsWith('/') ? folder.chopped(1) : folder;
        const ModuleInfo* m = modules.value(layer);
        QVERIFY2(m, qPrintable(layer));
        const QString cls = g.value(QLatin1String("class")).toString();
        const QString named = g.value(QLatin1String("name")).toString();
        QVERIFY2(m->className == cls || m->className == cls + " (" + named + ')',
                 qPrintable(m->className));
        QCOMPARE(m->qualifiedName, named);
    }
    // The tree lists layers in the model's order, nested models inside.
    auto tree = buildLayerTree(*file);
    QStringList order;
    for (const ModuleInfo& m : file->modules)
        if (!m.path.isEmpty()) order << m.path;
    if (name.startsWith(QLatin1String("functional"))) {
        QCOMPARE(order,
                 QStringList({"layers/input_layer", "layers/conv2d", "layers/batch_normalization",
                              "layers/global_average_pooling2d", "layers/sequential",
                              "layers/sequential/layers/dense", "layers/sequential/layers/dense_1",
                              "layers/dense"}));
        QCOMPARE(tree->kind, QStringLiteral("Functional (functional)"));
    } else {
        QCOMPARE(order, QStringList({"layers/embedding", "layers/flatten", "layers/dense",
                                     "layers/dense_1"}));
        QCOMPARE(tree->kind, QStringLiteral("Sequential (sequential)"));
    }
}

void TestKerasArchive::editSaveCheckWithH5py_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QStringList>("exprs");
    QTest::newRow("unedited") << "functional_f32.keras" << QStringList{};
    QTest::newRow("functional") << "functional_f32.keras"
                                << QStringList{"layers/conv2d/vars/0[:, :, 1, :] *= 0.5",
                                               "layers/sequential/layers/dense_1/vars/1 = 2",
                                               "layers/batch_normalization/vars/3[0] += 1"};
    QTest::newRow("bfloat16") << "sequential_bf16.keras"
                              << QStringList{"layers/embedding/vars/0[2, :] = 0.1",
                                             "layers/dense/vars/0[0:3, 1] += 1.5",
                                             "layers/dense_1/vars/1 = -4"};
}

void TestKerasArchive::editSaveCheckWithH5py() {
    QFETCH(QString, name);
    QFETCH(QStringList, exprs);
    QTemporaryDir dir;
    const QString saved = copyTo(dir, fixture(name), name);
    QString err;
    Document doc(openWeightFile(saved, &err));
    QVERIFY2(wstest::applyExpressions(doc, exprs, &err), qPrintable(err));
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{name});
    QCOMPARE(checkArchive(QStringList{fixture(name), saved} + exprs), QStringLiteral("OK"));
    // saved again, with one more edit: both hold
    if (!exprs.isEmpty()) {
        const QString more = QStringLiteral("layers/dense/vars/1[0] = 7");
        QVERIFY2(wstest::applyExpressions(doc, {more}, &err), qPrintable(err));
        QVERIFY2(doc.save(saved, &err), qPrintable(err));
        QCOMPARE(checkArchive(QStringList{fixture(name), saved} + exprs + QStringList{more}),
                 QStringLiteral("OK"));
    }
    for (const auto& t : doc.file().tensors) { // the rebound storages read the saved archive
        t->storage->unload();
        std::vector<double> v;
        QVERIFY2(t->valuesDouble(&v, &err), qPrintable(err));
    }
}

void TestKerasArchive::saveAsWeightsFile() {
    QTemporaryDir dir;
    const QString keras = fixture(QStringLiteral("functional_f32.keras"));
    QString err;
    Document doc(openWeightFile(keras, &err));
    const QString edit = QStringLiteral("layers/dense/vars/0[1, 2] = 3");
    QVERIFY2(wstest::applyExpressions(doc, {edit}, &err), qPrintable(err));
    const QString out = dir.filePath(QStringLiteral("model.weights.h5"));
    QVERIFY2(doc.save(out, &err, formatById(QStringLiteral("hdf5"))), qPrintable(err));
    const QString inner = dir.filePath(QStringLiteral("original.weights.h5"));
    QVERIFY(extractWeights(keras, inner));
    QString log;
    wstest::runPython(
        {wstest::env("WS_SCRIPTS") + QStringLiteral("/check_hdf5_roundtrip.py"), inner, out, edit},
        &log);
    QCOMPARE(log.trimmed(), QStringLiteral("OK"));
}

void TestKerasArchive::otherFormatsAreNotSavedAsKeras() {
    QTemporaryDir dir;
    QString err;
    auto file =
        openWeightFile(wstest::fixture(QStringLiteral("safetensors/mlp.safetensors")), &err);
    QVERIFY2(file, qPrintable(err));
    const QString out = dir.filePath(QStringLiteral("m.keras"));
    QVERIFY(!KerasArchiveFormat().save(*file, out, &err));
    QVERIFY2(err.startsWith(out) && err.contains(QLatin1String(".h5")), qPrintable(err));
    QVERIFY(!QFileInfo::exists(out));
}

void TestKerasArchive::damagedArchives() {
    QFile in(fixture(QStringLiteral("functional_f32.keras")));
    QVERIFY(in.open(QIODevice::ReadOnly));
    const QByteArray original = in.readAll();
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("d.keras"));
    std::mt19937 rng(2026);
    int opened = 0, refused = 0;
    for (int round = 0; round < 160; ++round) {
        QByteArray bytes = original;
        if (round < 80) {
            bytes.truncate(int(rng() % uint32_t(original.size())));
        } else {
            for (int k = 0; k < 1 + int(rng() % 4); ++k) {
                const int at = int(rng() % uint32_t(bytes.size()));
                bytes[at] = char(bytes[at] ^ char(1 + rng() % 255));
            }
        }
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(bytes);
        f.close();
        QString err;
        auto file = KerasArchiveFormat().read(path, &err);
        if (!file) {
            ++refused;
            QVERIFY2(err.startsWith(path), qPrintable(err));
            continue;
        }
        ++opened;
        for (const auto& t : file->tensors) {
            std::vector<double> v;
            if (!t->valuesDouble(&v, &err)) QVERIFY2(err.startsWith(path), qPrintable(err));
        }
    }
    qInfo("damaged archives: %d opened, %d refused with a message", opened, refused);
    QVERIFY(opened > 0 && refused > 0);
}

QTEST_GUILESS_MAIN(TestKerasArchive)
#include "tst_kerasarchive.moc"
