// Edit HDF5 files through the document API, save, and let h5py compare the
// result with the original (tests/scripts/check_hdf5_roundtrip.py): every
// object and attribute must be as it was, the edited values as numpy computes them.
#include "Document.h"
#include "DocumentEdits.h"
#include "EditExpression.h"
#include "FormatRegistry.h"
#include "Hdf5Format.h"
#include "TestUtil.h"

#include <QTemporaryDir>

using namespace ws;

namespace {

using wstest::applyExpressions;

QString check(const QStringList& args) {
    QString out;
    wstest::runPython(
        QStringList{wstest::env("WS_SCRIPTS") + QStringLiteral("/check_hdf5_roundtrip.py")} + args,
        &out);
    return out.trimmed();
}

} // namespace

class TestHdf5RoundTrip : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void editSaveCheckWithH5py_data();
    void editSaveCheckWithH5py();
    void saveTwiceAndSaveAs();
    void failedSaveKeepsOriginal();
    void convertFromSafetensors();
};

void TestHdf5RoundTrip::editSaveCheckWithH5py_data() {
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QStringList>("exprs");
    QTest::newRow("unedited") << "generic.h5" << QStringList{};
    QTest::newRow("generic") << "generic.h5"
                             << QStringList{"compressed[0:5, :] *= 0.5", "compressed[19, 29] = -7",
                                            "big_endian_f4[1, 2] = 9.5", "big_endian_i4[0] += 5",
                                            "types/f16[0, 0] = 0.1",     "types/f64 /= 3",
                                            "types/int8[0] += 1",        "types/int16[1] = 7",
                                            "types/uint8[-1] -= 2",      "types/bool[1] = 1",
                                            "a/b/c/deep[1, 1, 1] = 100", "scalar = 2.5",
                                            "ordered/alpha[0] = 5"};
    QTest::newRow("keras2 model") << "keras2_model.h5"
                                  << QStringList{
                                         "model_weights/dense/dense/kernel:0[0, 1] = 2",
                                         "model_weights/conv/conv/kernel:0[:, :, 0, :] *= 0.5",
                                         "model_weights/batch_normalization/"
                                         "batch_normalization/gamma:0 += 1",
                                         "optimizer_weights/Adam/iter:0 += 3"};
    QTest::newRow("keras2 weights")
        << "keras2_weights.h5" << QStringList{"dense_1/dense_1/bias:0 = 0"};
    QTest::newRow("keras3") << "keras3.weights.h5"
                            << QStringList{"layers/dense/vars/0[1, :] -= 1",
                                           "layers/custom_layer/vars/11 = 0.25"};
}

void TestHdf5RoundTrip::editSaveCheckWithH5py() {
    QFETCH(QString, fixture);
    QFETCH(QStringList, exprs);
    const QString original = wstest::fixture(QStringLiteral("hdf5/") + fixture);
    QTemporaryDir dir;
    const QString saved = dir.filePath(fixture);
    QVERIFY(QFile::copy(original, saved));
    QFile::setPermissions(saved, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup);
    QString err;
    auto file = openWeightFile(saved, &err);
    QVERIFY2(file, qPrintable(err));
    Document doc(std::move(file));
    QVERIFY2(applyExpressions(doc, exprs, &err), qPrintable(err));
    QCOMPARE(doc.isModified(), !exprs.isEmpty());
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QVERIFY(!doc.isModified());
    const QFile::Permissions perms = QFile::permissions(saved); // kept from the original
    QVERIFY(perms.testFlag(QFile::WriteOwner) && perms.testFlag(QFile::ReadGroup) &&
            !perms.testFlag(QFile::ReadOther));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{fixture});
    QCOMPARE(check(QStringList{original, saved} + exprs), QStringLiteral("OK"));
    // the rebound storages read the saved file
    for (const auto& t : doc.file().tensors) {
        t->storage->unload();
        std::vector<double> v;
        QVERIFY2(t->valuesDouble(&v, &err), qPrintable(err));
    }
}

void TestHdf5RoundTrip::saveTwiceAndSaveAs() {
    const QString original = wstest::fixture(QStringLiteral("hdf5/generic.h5"));
    QTemporaryDir dir;
    const QString saved = dir.filePath(QStringLiteral("g.h5"));
    QVERIFY(QFile::copy(original, saved));
    QString err;
    Document doc(openWeightFile(saved, &err));
    QVERIFY(applyExpressions(doc, {"compressed[0, 0] = 1"}, &err));
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QVERIFY(applyExpressions(doc, {"compressed[1, 1] = 2"}, &err));
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QCOMPARE(check({original, saved, "compressed[0, 0] = 1", "compressed[1, 1] = 2"}),
             QStringLiteral("OK"));
    // undo across the saves, then save as another file
    doc.undoStack()->undo();
    doc.undoStack()->undo();
    const QString other = dir.filePath(QStringLiteral("sub.h5"));
    QVERIFY2(doc.save(other, &err), qPrintable(err));
    QCOMPARE(doc.file().path, other);
    QCOMPARE(check({original, other}), QStringLiteral("OK"));
    QCOMPARE(check({original, saved, "compressed[0, 0] = 1", "compressed[1, 1] = 2"}),
             QStringLiteral("OK"));
}

void TestHdf5RoundTrip::failedSaveKeepsOriginal() {
    const QString original = wstest::fixture(QStringLiteral("hdf5/keras2_model.h5"));
    QTemporaryDir dir;
    const QString saved = dir.filePath(QStringLiteral("m.h5"));
    QVERIFY(QFile::copy(original, saved));
    QString err;
    Document doc(openWeightFile(saved, &err));
    QVERIFY(applyExpressions(doc, {"model_weights/dense/dense/bias:0 = 1"}, &err));
    QVERIFY(!doc.save(dir.filePath(QStringLiteral("missing/m.h5")), &err));
    QVERIFY2(err.contains(QLatin1String("missing/m.h5")), qPrintable(err));
    // a storage whose dataset vanished: the save fails and leaves no temporary behind
    TensorPtr t = doc.file().find(QStringLiteral("model_weights/dense/dense/bias:0"));
    QByteArray biasBytes;
    QVERIFY(t->storage->readAll(&biasBytes, &err));
    t->storage = Storage::fromBytes(biasBytes, QStringLiteral("no/such/dataset"));
    t->storage->setDirty(true);
    QVERIFY(!Hdf5Format().save(doc.file(), saved, &err));
    QVERIFY2(err.contains(QLatin1String("no/such/dataset")), qPrintable(err));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{"m.h5"});
    QCOMPARE(check({original, saved}), QStringLiteral("OK")); // untouched
}

void TestHdf5RoundTrip::convertFromSafetensors() {
    const QString original = wstest::fixture(QStringLiteral("safetensors/mlp.safetensors"));
    QTemporaryDir dir;
    QString err;
    Document doc(openWeightFile(original, &err));
    QVERIFY2(doc.file().tensors.size() > 0, qPrintable(err));
    const QString out = dir.filePath(QStringLiteral("m.h5"));
    QVERIFY2(doc.save(out, &err, formatById(QStringLiteral("hdf5"))), qPrintable(err));
    QCOMPARE(doc.file().path, original);
    QCOMPARE(check({"--from-safetensors", original, out}), QStringLiteral("OK"));
    auto back = openWeightFile(out, &err);
    QVERIFY2(back, qPrintable(err));
    QCOMPARE(back->tensors.size(), doc.file().tensors.size());
}

QTEST_GUILESS_MAIN(TestHdf5RoundTrip)
#include "tst_hdf5roundtrip.moc"
