// Edit through the document API, save, and let the real PyTorch load the
// result (tests/scripts/check_roundtrip.py): the edited values and nothing
// else may change.
#include "Document.h"
#include "DocumentEdits.h"
#include "EditExpression.h"
#include "FormatRegistry.h"
#include "TestUtil.h"

#include <QTemporaryDir>

using namespace ws;

namespace {

using wstest::applyExpressions;

QString check(const QString& original, const QString& saved, const QStringList& exprs,
              bool flat = false) {
    QStringList args{wstest::env("WS_SCRIPTS") + QStringLiteral("/check_roundtrip.py")};
    if (flat) args << QStringLiteral("--flat");
    args << original << saved << exprs;
    QString out;
    wstest::runPython(args, &out);
    return out.trimmed();
}

} // namespace

class TestRoundTrip : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void editSaveLoadWithTorch_data();
    void editSaveLoadWithTorch();
    void saveTwiceAndUndoAcrossSave();
    void convert_data();
    void convert();
    void typesWithoutTorchStorageAreRefused();
    void failedSaveKeepsOriginal();
    void fileChangedOnDiskIsNotSaved();
    void shardedModelSavesEditedShardsOnly();
};

void TestRoundTrip::editSaveLoadWithTorch_data() {
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QStringList>("exprs");
    QTest::newRow("state_dict") << "pytorch/mlp_state_dict.pt"
                                << QStringList{"0.weight[0:5, :] = 0.1", "2.bias += 0.5",
                                               "0.weight[3, -1] *= 0.9", "2.weight[:, 0] -= 1"};
    QTest::newRow("unedited") << "pytorch/mlp_state_dict.pt" << QStringList{};
    QTest::newRow("whole module") << "pytorch/whole_module.pt"
                                  << QStringList{"0.weight[:, 0] -= 1", "4.running_mean = 2",
                                                 "6.weight *= 0.5", "4.num_batches_tracked += 3"};
    QTest::newRow("checkpoint") << "pytorch/checkpoint.tar"
                                << QStringList{"model_state_dict.0.weight[1, 2] = -1.25",
                                               "optimizer_state_dict.state[0].exp_avg /= 4"};
    QTest::newRow("views and sharing") << "pytorch/views_shared.pt"
                                       << QStringList{"transposed[0, 1] = 100", "tied_a[1] = -3",
                                                      "every_other += 1", "slice[:, 1] *= 2"};
    QTest::newRow("dtypes") << "pytorch/dtypes.pt"
                            << QStringList{"f16 += 0.1", "bf16 *= 3", "i64[0, :] = 7", "f64 /= 3",
                                           "i8[1:] -= 2", "bool[1] = 1", "i32[-1] = -5",
                                           "u8[0] += 1",
                                           // exact beyond 2^53 (a double would round it)
                                           "i64[1, 0] = 9007199254740993"};
    QTest::newRow("dotted name") << "pytorch/my.model.v2.pth" << QStringList{"0.weight[0, 0] = 3"};
    QTest::newRow("stream") << "pytorch/stream.pt" << QStringList{};
    QTest::newRow("legacy") << "pytorch/legacy.pt"
                            << QStringList{"w[0, 0] = 5", "half += 0.25", "ids[1] = 9"};
    QTest::newRow("safetensors") << "safetensors/mlp.safetensors"
                                 << QStringList{"layers.0.fc.weight[0:2, :] = 0.5",
                                                "layers.0.fc.bias *= -1", "embed.weight[-1] = 2"};
    QTest::newRow("safetensors dtypes") << "safetensors/dtypes.safetensors" << QStringList{};
}

void TestRoundTrip::editSaveLoadWithTorch() {
    QFETCH(QString, fixture);
    QFETCH(QStringList, exprs);
    const QString original = wstest::fixture(fixture);
    QTemporaryDir dir;
    const QString saved = dir.filePath(QFileInfo(original).fileName());
    QVERIFY(QFile::copy(original, saved));
    QString err;
    auto file = openWeightFile(saved, &err);
    QVERIFY2(file, qPrintable(err));
    Document doc(std::move(file));
    QVERIFY2(applyExpressions(doc, exprs, &err), qPrintable(err));
    QCOMPARE(doc.isModified(), !exprs.isEmpty());
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QVERIFY(!doc.isModified());
    QCOMPARE(check(original, saved, exprs), QStringLiteral("OK"));
}

void TestRoundTrip::saveTwiceAndUndoAcrossSave() {
    const QString original = wstest::fixture("pytorch/mlp_state_dict.pt");
    QTemporaryDir dir;
    dir.setAutoRemove(qEnvironmentVariableIsEmpty("WS_KEEP_TMP"));
    const QString saved = dir.filePath(QStringLiteral("m.pt"));
    QVERIFY(QFile::copy(original, saved));
    QString err;
    Document doc(openWeightFile(saved, &err));
    QVERIFY(applyExpressions(doc, {"0.bias = 1"}, &err));
    QVERIFY(doc.save(saved, &err));
    QFile::copy(saved, saved + QStringLiteral(".first"));
    QVERIFY(applyExpressions(doc, {"2.bias = 2"}, &err));
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QCOMPARE(check(original, saved, {"0.bias = 1", "2.bias = 2"}), QStringLiteral("OK"));
    // undo both edits (across the saves) and save again: the original values
    doc.undoStack()->undo();
    doc.undoStack()->undo();
    QVERIFY(doc.isModified());
    QVERIFY(doc.save(saved, &err));
    QCOMPARE(check(original, saved, {}), QStringLiteral("OK"));
    // restore original after a save restores the values as last saved
    QVERIFY(applyExpressions(doc, {"0.bias = 4"}, &err));
    TensorPtr bias = doc.file().find(QStringLiteral("0.bias"));
    QVERIFY(
        doc.edit(QStringLiteral("0.bias"), Region::whole(*bias), EditOperation::restore(), &err));
    QVERIFY(doc.save(saved, &err));
    QCOMPARE(check(original, saved, {}), QStringLiteral("OK"));
}

void TestRoundTrip::convert_data() {
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QString>("target");
    QTest::addColumn<QString>("format");
    QTest::newRow("pt to safetensors") << "pytorch/mlp_state_dict.pt"
                                       << "m.safetensors"
                                       << "safetensors";
    QTest::newRow("checkpoint to safetensors") << "pytorch/checkpoint.tar"
                                               << "c.safetensors"
                                               << "safetensors";
    QTest::newRow("safetensors to pt") << "safetensors/mlp.safetensors"
                                       << "m.pt"
                                       << "pytorch";
    QTest::newRow("views to pt") << "pytorch/views_shared.pt"
                                 << "v.safetensors"
                                 << "safetensors";
}

void TestRoundTrip::convert() {
    QFETCH(QString, fixture);
    QFETCH(QString, target);
    QFETCH(QString, format);
    const QString original = wstest::fixture(fixture);
    QTemporaryDir dir;
    QString err;
    Document doc(openWeightFile(original, &err));
    QVERIFY2(doc.file().tensors.size() > 0, qPrintable(err));
    const QString out = dir.filePath(target);
    QVERIFY2(doc.save(out, &err, formatById(format)), qPrintable(err));
    QCOMPARE(doc.file().path, original); // a converted copy leaves the document alone
    QCOMPARE(check(original, out, {}, true), QStringLiteral("OK"));
}

void TestRoundTrip::typesWithoutTorchStorageAreRefused() {
    QString err;
    Document doc(openWeightFile(wstest::fixture("safetensors/dtypes.safetensors"), &err));
    QTemporaryDir dir;
    QVERIFY(!doc.save(dir.filePath(QStringLiteral("d.pt")), &err, formatById("pytorch")));
    QVERIFY(err.contains(QStringLiteral("storage class")));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("d.pt"))));
}

void TestRoundTrip::failedSaveKeepsOriginal() {
    const QString original = wstest::fixture("pytorch/mlp_state_dict.pt");
    QTemporaryDir dir;
    const QString saved = dir.filePath(QStringLiteral("m.pt"));
    QVERIFY(QFile::copy(original, saved));
    QString err;
    Document doc(openWeightFile(saved, &err));
    QVERIFY(applyExpressions(doc, {"0.bias = 1"}, &err));
    // a folder that cannot be written
    QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::ExeOwner);
    const bool root = QFileInfo(dir.path()).isWritable();
    QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    if (!root) {
        QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::ExeOwner);
        QVERIFY(!doc.save(saved, &err));
        QVERIFY(err.contains(saved));
        QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }
    // a path whose folder does not exist
    QVERIFY(!doc.save(dir.filePath(QStringLiteral("missing/m.pt")), &err));
    QVERIFY(!err.isEmpty());
    QVERIFY(doc.isModified());
    QCOMPARE(check(original, saved, {}), QStringLiteral("OK")); // untouched
}

void TestRoundTrip::fileChangedOnDiskIsNotSaved() {
    // Unedited records are copied from the opened file: if another program
    // rewrote it meanwhile (a training run saving a checkpoint), refuse to save.
    const QString original = wstest::fixture("pytorch/mlp_state_dict.pt");
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("m.pt"));
    QVERIFY(QFile::copy(original, path));
    QString err;
    Document doc(openWeightFile(path, &err));
    QVERIFY2(applyExpressions(doc, {"0.bias = 1"}, &err), qPrintable(err));
    QVERIFY2(doc.file().changedOnDisk().isEmpty(), qPrintable(doc.file().changedOnDisk()));
    const QString other = wstest::fixture("pytorch/dtypes.pt");
    QVERIFY(QFile::remove(path));
    QVERIFY(QFile::copy(other, path));
    QVERIFY(!doc.save(path, &err));
    QVERIFY2(err.contains(path) && err.contains(QLatin1String("changed on disk")), qPrintable(err));
    const QString elsewhere = dir.filePath(QStringLiteral("copy.pt"));
    QVERIFY(!doc.save(elsewhere, &err)); // Save As copies from it too
    QVERIFY(!QFile::exists(elsewhere));
    QVERIFY(doc.isModified());
    QFile f(path), g(other);
    QVERIFY(f.open(QIODevice::ReadOnly) && g.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), g.readAll()); // the other program's file is left alone
    QVERIFY(QFile::remove(path));
    QVERIFY(!doc.save(path, &err));
    QVERIFY2(err.contains(QLatin1String("deleted or moved")), qPrintable(err));

    // After a save of our own, the saved file is the one compared with.
    const QString again = dir.filePath(QStringLiteral("again.pt"));
    QVERIFY(QFile::copy(original, again));
    Document second(openWeightFile(again, &err));
    QVERIFY(applyExpressions(second, {"0.bias = 2"}, &err));
    QVERIFY2(second.save(again, &err), qPrintable(err));
    QVERIFY(applyExpressions(second, {"0.bias = 3"}, &err));
    QVERIFY2(second.save(again, &err), qPrintable(err));
}

namespace {

QByteArray fileBytes(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

void TestRoundTrip::shardedModelSavesEditedShardsOnly() {
    const QString fixtures = wstest::fixture(QStringLiteral("safetensors/sharded"));
    const QStringList names{QStringLiteral("model.safetensors.index.json"),
                            QStringLiteral("model-00001-of-00002.safetensors"),
                            QStringLiteral("model-00002-of-00002.safetensors")};
    QTemporaryDir dir;
    for (const QString& n : names)
        QVERIFY(QFile::copy(fixtures + QLatin1Char('/') + n, dir.filePath(n)));
    const QString index = dir.filePath(names[0]);
    QString err;
    Document doc(openWeightFile(index, &err));
    QVERIFY2(!doc.file().tensors.empty(), qPrintable(err));
    const QStringList exprs{"head.weight[0, :] = 0.5", "layers.1.fc.bias += 1"}; // shard 2
    QVERIFY2(applyExpressions(doc, exprs, &err), qPrintable(err));

    // Saved in place: shard 2 rewritten with the edits, shard 1 and the index untouched.
    const QDateTime shard1Time = QFileInfo(dir.filePath(names[1])).lastModified();
    QVERIFY2(doc.save(index, &err), qPrintable(err));
    QCOMPARE(fileBytes(index), fileBytes(fixtures + QLatin1Char('/') + names[0]));
    QCOMPARE(fileBytes(dir.filePath(names[1])), fileBytes(fixtures + QLatin1Char('/') + names[1]));
    QCOMPARE(QFileInfo(dir.filePath(names[1])).lastModified(), shard1Time); // not even rewritten
    QCOMPARE(check(fixtures + QLatin1Char('/') + names[2], dir.filePath(names[2]), exprs),
             QStringLiteral("OK"));
    QVERIFY(!doc.isModified());

    // Saved again after another edit (the document now reads the saved shards).
    QVERIFY2(applyExpressions(doc, {"embed.weight[1, 1] = -3"}, &err), qPrintable(err)); // shard 1
    QVERIFY2(doc.save(index, &err), qPrintable(err));
    QCOMPARE(check(fixtures + QLatin1Char('/') + names[1], dir.filePath(names[1]),
                   {"embed.weight[1, 1] = -3"}),
             QStringLiteral("OK"));
    QCOMPARE(check(fixtures + QLatin1Char('/') + names[2], dir.filePath(names[2]), exprs),
             QStringLiteral("OK"));

    // Save As into another folder writes the whole model there.
    QTemporaryDir other;
    const QString copy = other.filePath(names[0]);
    QVERIFY2(doc.save(copy, &err), qPrintable(err));
    QCOMPARE(fileBytes(copy), fileBytes(fixtures + QLatin1Char('/') + names[0]));
    QCOMPARE(check(fixtures + QLatin1Char('/') + names[1], other.filePath(names[1]),
                   {"embed.weight[1, 1] = -3"}),
             QStringLiteral("OK"));
    QCOMPARE(check(fixtures + QLatin1Char('/') + names[2], other.filePath(names[2]), exprs),
             QStringLiteral("OK"));
    // The document now is the copy. Beside it under another index name, the shards
    // (which keep their names) would overwrite its own: refused.
    QCOMPARE(doc.file().path, copy);
    QVERIFY(applyExpressions(doc, {"head.bias = 0"}, &err));
    const QString beside = other.filePath(QStringLiteral("second.safetensors.index.json"));
    QVERIFY(!doc.save(beside, &err));
    QVERIFY2(err.contains(QLatin1String("another folder")), qPrintable(err));
    QVERIFY(!QFile::exists(beside));

    // Another program rewrites a shard: saving would copy its new bytes as ours.
    {
        QFile shard(other.filePath(names[1]));
        QVERIFY(shard.open(QIODevice::Append));
        shard.write("x");
    }
    QVERIFY(!doc.save(copy, &err));
    QVERIFY2(err.contains(other.filePath(names[1])) && err.contains(QLatin1String("changed")),
             qPrintable(err));
}

QTEST_GUILESS_MAIN(TestRoundTrip)
#include "tst_roundtrip.moc"
