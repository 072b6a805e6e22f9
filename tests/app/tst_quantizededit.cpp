// Quantized GGUF tensors edited end to end, for every block type with a reference
// edit (tests/fixtures/quant/gguf/requant/*_edit.json, made by the Python reference
// quantizers): a cell typed in the table is stored as the reference quantizer stores
// it and the table says so next to the value typed; undo brings the old block back
// byte for byte; the in-place save changes exactly that block (checked by
// tests/scripts/requant_gguf.py); and the command line's edit does the same.
#include "CellTableModel.h"
#include "Document.h"
#include "FormatRegistry.h"
#include "TestUtil.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>

using namespace ws;

namespace {

const QString kTensor = QStringLiteral("blk.0.ffn_down.weight");

QString requantDir() {
    return wstest::fixture(QStringLiteral("quant/gguf/requant"));
}

QJsonObject readJson(const QString& path) {
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return QJsonDocument::fromJson(f.readAll()).object();
}

QByteArray fileBytes(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Writes the reference blocks of \a json into \a gguf; the data offset of the tensor.
qint64 makeGguf(const QString& json, const QString& gguf) {
    QString out;
    const int code =
        wstest::runPython({wstest::env("WS_SCRIPTS") + QStringLiteral("/requant_gguf.py"),
                           QStringLiteral("make"), json, gguf},
                          &out);
    bool ok = false;
    const qint64 offset = out.trimmed().toLongLong(&ok);
    return code == 0 && ok ? offset : -1;
}

} // namespace

class TestQuantizedEdit : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cellEditStoresWhatTheReferenceStores_data();
    void cellEditStoresWhatTheReferenceStores();
    void commandLineEditSavesTheReferenceBlock();
};

void TestQuantizedEdit::cellEditStoresWhatTheReferenceStores_data() {
    QTest::addColumn<QString>("json");
    const QStringList files = QDir(requantDir()).entryList({QStringLiteral("*_edit.json")});
    QVERIFY(files.size() >= 17);
    for (const QString& f : files)
        QTest::newRow(qPrintable(f.section(QLatin1Char('_'), 0, -2)))
            << QDir(requantDir()).filePath(f);
}

void TestQuantizedEdit::cellEditStoresWhatTheReferenceStores() {
    QFETCH(QString, json);
    const QJsonObject edit = readJson(json);
    QTemporaryDir dir;
    const QString original = dir.filePath(QStringLiteral("original.gguf"));
    const QString path = dir.filePath(QStringLiteral("model.gguf"));
    const qint64 offset = makeGguf(json, original);
    QVERIFY(offset > 0);
    QVERIFY(QFile::copy(original, path));

    QString err;
    auto file = openWeightFile(path, &err);
    QVERIFY2(file, qPrintable(err));
    const int index = file->indexOf(kTensor);
    QVERIFY(index >= 0);
    const Tensor& t = *file->tensors[size_t(index)];
    QCOMPARE(t.typeName().toUpper(), edit.value(QStringLiteral("type")).toString().toUpper());
    Document doc(std::move(file));
    CellTableModel model;
    model.setTensor(&doc, index);
    QSignalSpy stored(&model, &CellTableModel::storedDiffers);
    QSignalSpy rejected(&model, &CellTableModel::editRejected);

    const int row = edit.value(QStringLiteral("row")).toInt();
    const int col = edit.value(QStringLiteral("col")).toInt();
    const double typed = edit.value(QStringLiteral("typed_value")).toDouble();
    const double want = edit.value(QStringLiteral("stored_value")).toDouble();
    QCOMPARE(t.at(int64_t(row) * t.cols() + col),
             edit.value(QStringLiteral("old_value")).toDouble());
    QVERIFY(model.setData(model.index(row, col), QString::number(typed)));
    QCOMPARE(rejected.count(), 0);
    QCOMPARE(t.at(int64_t(row) * t.cols() + col), want);
    if (float(typed) != float(want)) {
        QCOMPARE(stored.count(), 1);
        QCOMPARE(stored.at(0).at(1).toDouble(), want);
        const QString message = stored.at(0).at(2).toString();
        QVERIFY2(message.contains(QStringLiteral(" for %1 typed").arg(QString::number(typed))),
                 qPrintable(message));
        QVERIFY2(message.contains(t.typeName()), qPrintable(message));
    } else {
        QCOMPARE(stored.count(), 0); // stored as typed: nothing to say
    }
    QCOMPARE(float(model.index(row, col).data(Qt::EditRole).toDouble()), float(want));

    // undo restores the old block byte for byte; redo and save write the new one
    const qint64 blockBytes = edit.value(QStringLiteral("block_bytes")).toInteger();
    const qint64 blockAt = edit.value(QStringLiteral("block_byte_offset")).toInteger();
    QByteArray block(int(blockBytes), '\0');
    doc.undoStack()->undo();
    QVERIFY(t.storage->readBytes(blockAt, blockBytes, block.data(), &err));
    QCOMPARE(block.toHex(), edit.value(QStringLiteral("old_block_hex")).toString().toLatin1());
    doc.undoStack()->redo();
    QVERIFY(t.storage->readBytes(blockAt, blockBytes, block.data(), &err));
    QCOMPARE(block.toHex(), edit.value(QStringLiteral("new_block_hex")).toString().toLatin1());
    QVERIFY2(doc.save(path, &err), qPrintable(err));
    QCOMPARE(wstest::runCheckScript(QStringLiteral("requant_gguf.py"),
                                    {QStringLiteral("check"), json, original, path}),
             QStringLiteral("OK"));
}

void TestQuantizedEdit::commandLineEditSavesTheReferenceBlock() {
    // The second reference edit of each type, through `weightscope edit` in place.
    const QStringList files = QDir(requantDir()).entryList({QStringLiteral("*_edit.json")});
    for (const QString& f : files) {
        const QString json = QDir(requantDir()).filePath(f);
        const QJsonObject also =
            readJson(json).value(QStringLiteral("also")).toArray().at(0).toObject();
        QVERIFY2(!also.isEmpty(), qPrintable(f));
        QTemporaryDir dir;
        const QString original = dir.filePath(QStringLiteral("original.gguf"));
        const QString path = dir.filePath(QStringLiteral("model.gguf"));
        QVERIFY(makeGguf(json, original) > 0);
        QVERIFY(QFile::copy(original, path));
        const QString expr = QStringLiteral("%1[%2, %3] = %4")
                                 .arg(kTensor)
                                 .arg(also.value(QStringLiteral("row")).toInt())
                                 .arg(also.value(QStringLiteral("col")).toInt())
                                 .arg(also.value(QStringLiteral("typed_value")).toDouble());
        const wstest::RunResult r = wstest::runWeightscope(
            {QStringLiteral("edit"), path, QStringLiteral("-o"), path, expr});
        QVERIFY2(r.code == 0, qPrintable(f + QStringLiteral(": ") + r.err));
        QCOMPARE(wstest::runCheckScript(
                     QStringLiteral("requant_gguf.py"),
                     {QStringLiteral("check"), json, original, path, QStringLiteral("1")}),
                 QStringLiteral("OK"));
        QVERIFY(fileBytes(path) != fileBytes(original));
    }
}

QTEST_MAIN(TestQuantizedEdit)
#include "tst_quantizededit.moc"
