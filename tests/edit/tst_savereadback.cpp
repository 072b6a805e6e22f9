// The read-back before a save's rename: a writer that forgets an edit, drops a
// tensor or writes garbage makes the save fail with a message, and the original
// file is left byte for byte as it was, with nothing beside it.
#include "AtomicSave.h"
#include "Document.h"
#include "FormatRegistry.h"
#include "SafetensorsFormat.h"
#include "SafetensorsWriter.h"
#include "SaveReadBack.h"
#include "ShardIndex.h"
#include "TestUtil.h"

#include <QBuffer>
#include <QSaveFile>
#include <QTemporaryDir>

using namespace ws;

namespace {

/// The safetensors format with a writer bug chosen by the test.
class BuggySafetensors : public SafetensorsFormat {
public:
    enum class Bug { None, ForgetsEdits, DropsTensor, Garbage };
    Bug bug = Bug::None;

    bool save(const WeightFile& file, const QString& path, QString* error) const override {
        return FileFormat::save(file, path, error);
    }
    bool write(const WeightFile& file, QIODevice* out, QString* error) const override {
        switch (bug) {
        case Bug::None:
            return writeSafetensors(file, out, error);
        case Bug::ForgetsEdits: { // copies the file as it was opened
            QFile in(file.path);
            return in.open(QIODevice::ReadOnly) && out->write(in.readAll()) == in.size();
        }
        case Bug::DropsTensor: {
            WeightFile fewer = file;
            fewer.state.reset(); // written from the tensors, not the original header
            fewer.tensors.pop_back();
            return writeSafetensors(fewer, out, error);
        }
        case Bug::Garbage:
            return out->write("not a safetensors file") > 0;
        }
        return false;
    }
};

QByteArray contents(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

/// mlp.safetensors (written by torch, tests/fixtures/make_safetensors_fixtures.py)
/// copied into \a dir and opened with \a format; null when that fails.
std::unique_ptr<Document> openMlp(const QTemporaryDir& dir, const FileFormat& format,
                                  QString* path) {
    *path = dir.filePath(QStringLiteral("mlp.safetensors"));
    QString err;
    if (!QFile::copy(wstest::fixture(QStringLiteral("safetensors/mlp.safetensors")), *path))
        return nullptr;
    auto file = format.read(*path, &err);
    return file ? std::make_unique<Document>(std::move(file)) : nullptr;
}

} // namespace

class TestSaveReadBack : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void writerBugFailsTheSave_data();
    void writerBugFailsTheSave();
    void correctWriterSaves();
    void comparesOnlyEditedTensors();
    void tiedTensorsAreComparedOnce();
    void loneArrayKeepsItsValuesUnderANewName();
    void shardsAreReadBackBeforeAnyRename();
};

void TestSaveReadBack::writerBugFailsTheSave_data() {
    QTest::addColumn<int>("bug");
    QTest::addColumn<QString>("expected");
    QTest::newRow("forgets the edit")
        << int(BuggySafetensors::Bug::ForgetsEdits)
        << QStringLiteral("tensor 'layers.0.fc.weight' differs from the document at element 7");
    QTest::newRow("drops a tensor")
        << int(BuggySafetensors::Bug::DropsTensor) << QStringLiteral("is missing from it");
    QTest::newRow("writes garbage")
        << int(BuggySafetensors::Bug::Garbage) << QStringLiteral("our reader cannot read it");
}

void TestSaveReadBack::writerBugFailsTheSave() {
    QFETCH(int, bug);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("mlp.safetensors"));
    QVERIFY(QFile::copy(wstest::fixture(QStringLiteral("safetensors/mlp.safetensors")), path));
    const QByteArray before = contents(path);

    BuggySafetensors format;
    format.bug = BuggySafetensors::Bug(bug);
    QString err;
    auto file = format.read(path, &err);
    QVERIFY2(file, qPrintable(err));
    QCOMPARE(file->format, &format);
    Document doc(std::move(file));
    const int i = doc.file().indexOf(QStringLiteral("layers.0.fc.weight"));
    QVERIFY(i >= 0);
    const Tensor& t = *doc.file().tensors[size_t(i)];
    QCOMPARE(t.cols(), 4); // element 7 is row 1, column 3
    QVERIFY(doc.edit(i, Region::cell2d(t, 1, 3), EditOperation::set(0.25), &err));

    QVERIFY(!doc.save(path, &err));
    QVERIFY2(err.contains(expected), qPrintable(err));
    QVERIFY2(err.startsWith(path + QStringLiteral(": cannot save: reading the written file back")),
             qPrintable(err));
    QVERIFY2(err.endsWith(QStringLiteral("the file was not changed")), qPrintable(err));
    QVERIFY(!err.contains(QStringLiteral(".wsverify-"))); // the link is not named
    QCOMPARE(contents(path), before);
    QCOMPARE(QDir(dir.path())
                 .entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot),
             QStringList{QStringLiteral("mlp.safetensors")});
    QVERIFY(doc.isModified());
}

void TestSaveReadBack::correctWriterSaves() {
    QTemporaryDir dir;
    BuggySafetensors format; // without a bug: the same path through FileFormat::save
    QString path, err;
    const auto opened = openMlp(dir, format, &path);
    QVERIFY(opened);
    Document& doc = *opened;
    const int i = doc.file().indexOf(QStringLiteral("layers.0.fc.weight"));
    const Tensor& t = *doc.file().tensors[size_t(i)];
    QVERIFY(doc.edit(i, Region::cell2d(t, 1, 3), EditOperation::set(0.25), &err));
    QVERIFY2(doc.save(path, &err), qPrintable(err));
    auto back = format.read(path, &err);
    QVERIFY2(back, qPrintable(err));
    MatrixF m;
    QVERIFY(back->find(QStringLiteral("layers.0.fc.weight"))->values(&m, &err));
    QCOMPARE(m(1, 3), 0.25f);
    QCOMPARE(QDir(dir.path())
                 .entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot),
             QStringList{QStringLiteral("mlp.safetensors")});
}

void TestSaveReadBack::comparesOnlyEditedTensors() {
    // The comparison reads the edited tensor's bytes only: its cost follows the edit.
    QTemporaryDir dir;
    SafetensorsFormat format;
    QString path, err;
    const auto opened = openMlp(dir, format, &path);
    QVERIFY(opened);
    Document& doc = *opened;
    const int i = doc.file().indexOf(QStringLiteral("embed.weight"));
    const Tensor& t = *doc.file().tensors[size_t(i)];
    QVERIFY(doc.edit(i, Region::cell2d(t, 2, 1), EditOperation::add(1.0), &err));

    const QString copy = dir.filePath(QStringLiteral("copy.safetensors"));
    QSaveFile out(copy);
    QVERIFY(out.open(QIODevice::WriteOnly));
    QVERIFY(writeSafetensors(doc.file().storedOnly(), &out, &err));
    QVERIFY(out.commit());
    const SaveReadBack check(doc.file().storedOnly(), &format, false);
    QVERIFY2(check.check(copy, copy, false, nullptr, &err), qPrintable(err));
    QCOMPARE(check.comparedBytes(), qint64(10 * 4 * 4)); // embed.weight: 10 x 4 float32

    // the unedited original differs in exactly the edited element
    err.clear();
    QVERIFY(!check.check(path, path, false, nullptr, &err));
    QCOMPARE(err, QStringLiteral("tensor 'embed.weight' differs from the document at element 9 "
                                 "(a bug in the writer)"));
    // another file's tensors are not this document's
    err.clear();
    QVERIFY(!check.check(wstest::fixture(QStringLiteral("safetensors/dtypes.safetensors")), path,
                         false, nullptr, &err));
    QVERIFY2(err.contains(QStringLiteral("that the document does not have")), qPrintable(err));
}

void TestSaveReadBack::tiedTensorsAreComparedOnce() {
    // views_shared.pt (torch, make_pytorch_fixtures.py) holds one 2 x 3 float32 parameter
    // under two names (tied_a, tied_b): an edit of one is read back once, not twice.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("views_shared.pt"));
    QVERIFY(QFile::copy(wstest::fixture(QStringLiteral("pytorch/views_shared.pt")), path));
    QString err;
    std::unique_ptr<WeightFile> file = openWeightFile(path, &err);
    QVERIFY2(file, qPrintable(err));
    Document doc(std::move(file));
    const int i = doc.file().indexOf(QStringLiteral("tied_a"));
    QVERIFY(i >= 0);
    QVERIFY(doc.edit(i, Region::cell2d(*doc.file().tensors[size_t(i)], 1, 2),
                     EditOperation::set(0.5), &err));
    const SaveReadBack check(doc.file().storedOnly(), doc.file().format, false);
    const QString copy = dir.filePath(QStringLiteral("copy.pt"));
    QVERIFY2(doc.file().format->save(doc.file().storedOnly(), copy, &err), qPrintable(err));
    QSet<QString> seen;
    QVERIFY2(check.check(copy, copy, false, &seen, &err), qPrintable(err));
    QVERIFY(seen.contains(QStringLiteral("tied_a")) && seen.contains(QStringLiteral("tied_b")));
    QCOMPARE(check.comparedBytes(), qint64(2 * 3 * 4));
}

void TestSaveReadBack::loneArrayKeepsItsValuesUnderANewName() {
    // A .npy's tensor is named after its file: Save As checks its values all the same.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("conv1.weight.npy"));
    QVERIFY(QFile::copy(wstest::fixture(QStringLiteral("numpy/conv1.weight.npy")), path));
    QString err;
    auto file = openWeightFile(path, &err);
    QVERIFY2(file, qPrintable(err));
    Document doc(std::move(file));
    const Tensor& t = *doc.file().tensors[0];
    QVERIFY(doc.edit(0, Region::cell2d(t, 0, 0), EditOperation::set(-3.5), &err));
    const QString other = dir.filePath(QStringLiteral("renamed.npy"));
    QVERIFY2(doc.save(other, &err), qPrintable(err));
    QCOMPARE(doc.file().tensors[0]->name, QStringLiteral("conv1.weight"));
}

void TestSaveReadBack::shardsAreReadBackBeforeAnyRename() {
    QTemporaryDir dir;
    SafetensorsFormat format;
    QString path, err;
    const auto opened = openMlp(dir, format, &path);
    QVERIFY(opened);
    Document& doc = *opened;
    const int i = doc.file().indexOf(QStringLiteral("layers.1.fc.bias"));
    const Tensor& t = *doc.file().tensors[size_t(i)];
    QVERIFY(doc.edit(i, Region::whole(t), EditOperation::set(0.5), &err));
    WeightFile stored = doc.file().storedOnly();
    stored.saveCheck = std::make_shared<SaveReadBack>(stored, &format, false);

    const QString shard = dir.filePath(QStringLiteral("model-00001-of-00001.safetensors"));
    const QString index = dir.filePath(QStringLiteral("model.safetensors.index.json"));
    const auto writeIndex = [](QIODevice* out, QString*) {
        return out->write("{\"weight_map\": {}}") > 0;
    };
    const auto copyOriginal = [&path](QIODevice* out, QString*) {
        QFile in(path);
        return in.open(QIODevice::ReadOnly) && out->write(in.readAll()) == in.size();
    };
    // a shard written without the edit
    QVERIFY(!saveAllOrNothing({{shard, copyOriginal}, {index, writeIndex}}, &err, &stored, index));
    QVERIFY2(err.contains(QStringLiteral("tensor 'layers.1.fc.bias' differs from the document")),
             qPrintable(err));
    QVERIFY(!QFile::exists(shard) && !QFile::exists(index));
    // the edited tensor's shard not written at all
    err.clear();
    QVERIFY(!saveAllOrNothing({{index, writeIndex}}, &err, &stored, index));
    QVERIFY2(err.contains(QStringLiteral("the edited tensor 'layers.1.fc.bias' is in none of the "
                                         "written files")),
             qPrintable(err));
    QVERIFY(!QFile::exists(index));
    // written right: both in place
    const auto writeDoc = [&stored](QIODevice* out, QString* e) {
        return writeSafetensors(stored, out, e);
    };
    QVERIFY2(saveAllOrNothing({{shard, writeDoc}, {index, writeIndex}}, &err, &stored, index),
             qPrintable(err));
    QVERIFY(QFile::exists(shard) && QFile::exists(index));
}

QTEST_GUILESS_MAIN(TestSaveReadBack)
#include "tst_savereadback.moc"
