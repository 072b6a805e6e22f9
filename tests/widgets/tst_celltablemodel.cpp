// Cell table: QAbstractItemModelTester, values as stored, typed values checked
// against the dtype, edits through the Document with one undo step per cell,
// and the heatmap's rubber band and current-cell outline.
#include "CellTableModel.h"
#include "CellTableView.h"
#include "Document.h"
#include "HeatmapWidget.h"
#include "MemoryWeightFile.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

using namespace ws;

class TestCellTableModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void passesModelTester();
    void parsesValuesForEachDType();
    void typingEditsThroughDocument();
    void rejectsInvalidText();
    void showsShortestTextForNarrowTypes();
    void heatmapRubberBandAndClick();
};

namespace {
std::unique_ptr<Document> smallDocument() {
    return std::make_unique<Document>(std::make_unique<WeightFile>(*wstest::smallModel()));
}
} // namespace

void TestCellTableModel::passesModelTester() {
    auto doc = smallDocument();
    CellTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    model.setTensor(doc.get(), 0); // fc1.weight [3, 4]
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.columnCount(), 4);
    // ramp: 0.5 * i - 3
    QCOMPARE(model.index(1, 2).data().toString(), QStringLiteral("0"));
    QCOMPARE(model.index(2, 3).data().toString(), QStringLiteral("2.5"));
    QCOMPARE(model.headerData(3, Qt::Horizontal).toString(), QStringLiteral("3"));
    QVERIFY(model.flags(model.index(0, 0)) & Qt::ItemIsEditable);
    model.setTensor(doc.get(), 1); // fc1.bias [3]: one row
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.columnCount(), 3);
    QCOMPARE(model.index(0, 1).data().toString(), QStringLiteral("-1.5"));
    model.setTensor(doc.get(), 5); // scalar
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.columnCount(), 1);
    QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("42"));
    QVERIFY(model.setData(model.index(0, 0), QStringLiteral("7")));
    QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("7"));
    model.setTensor(nullptr, -1);
    QCOMPARE(model.rowCount(), 0);
}

void TestCellTableModel::parsesValuesForEachDType() {
    double v = 0;
    QString e;
    QVERIFY(!CellTableModel::parseCellValue(QStringLiteral("abc"), DType::Float32, &v, &e));
    QVERIFY(e.contains(QStringLiteral("not a number")));
    QVERIFY(CellTableModel::parseCellValue(QStringLiteral(" -1e-3 "), DType::Float32, &v, &e));
    QCOMPARE(v, -1e-3);
    QVERIFY(CellTableModel::parseCellValue(QStringLiteral("nan"), DType::Float16, &v, &e));
    QVERIFY(!CellTableModel::parseCellValue(QStringLiteral("70000"), DType::Float16, &v, &e));
    QVERIFY(CellTableModel::parseCellValue(QStringLiteral("65504"), DType::Float16, &v, &e));
    QVERIFY(!CellTableModel::parseCellValue(QStringLiteral("300"), DType::Int8, &v, &e));
    QVERIFY(!CellTableModel::parseCellValue(QStringLiteral("-129"), DType::Int8, &v, &e));
    QVERIFY(CellTableModel::parseCellValue(QStringLiteral("-128"), DType::Int8, &v, &e));
    QCOMPARE(v, -128.0);
    QVERIFY(!CellTableModel::parseCellValue(QStringLiteral("-1"), DType::UInt8, &v, &e));
    QVERIFY(CellTableModel::parseCellValue(QStringLiteral("255"), DType::UInt8, &v, &e));
    QVERIFY(!CellTableModel::parseCellValue(QStringLiteral("2"), DType::Bool, &v, &e));
    QVERIFY(CellTableModel::parseCellValue(QStringLiteral("true"), DType::Bool, &v, &e));
    QCOMPARE(v, 1.0);
    QVERIFY(CellTableModel::parseCellValue(QStringLiteral("False"), DType::Bool, &v, &e));
    QCOMPARE(v, 0.0);
    QVERIFY(!CellTableModel::parseCellValue(QStringLiteral("0.5"), DType::Int64, &v, &e));
    QVERIFY(!CellTableModel::parseCellValue(QStringLiteral("inf"), DType::Int32, &v, &e));
    QVERIFY(!CellTableModel::parseCellValue(QStringLiteral("9223372036854775808"), DType::Int64, &v,
                                            &e));
    QVERIFY(CellTableModel::parseCellValue(QStringLiteral("-9223372036854775808"), DType::Int64, &v,
                                           &e));
    QVERIFY(CellTableModel::parseCellValue(QStringLiteral("4294967295"), DType::UInt32, &v, &e));
    QVERIFY(!CellTableModel::parseCellValue(QStringLiteral("4294967296"), DType::UInt32, &v, &e));
}

void TestCellTableModel::typingEditsThroughDocument() {
    auto doc = smallDocument();
    CellTableModel model;
    model.setTensor(doc.get(), 0);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    const Tensor& t = *doc->file().tensors[0];
    QVERIFY(model.setData(model.index(1, 2), QStringLiteral("0.1")));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(0).toModelIndex(), model.index(1, 2));
    QCOMPARE(t.at(6), double(0.1f)); // stored as float32
    QCOMPARE(model.index(1, 2).data().toString(), QStringLiteral("0.1"));
    QVERIFY(model.setData(model.index(1, 2), QStringLiteral("0.25")));
    QVERIFY(model.setData(model.index(1, 2), QStringLiteral("1e3")));
    QCOMPARE(t.at(6), 1000.0);
    QCOMPARE(doc->undoStack()->count(), 1); // consecutive typing in one cell: one step
    QVERIFY(model.setData(model.index(0, 0), QStringLiteral("5")));
    QCOMPARE(doc->undoStack()->count(), 2);
    doc->undoStack()->undo();
    doc->undoStack()->undo();
    QCOMPARE(t.at(6), 0.0);
    QCOMPARE(t.at(0), -3.0);
    QCOMPARE(model.index(1, 2).data().toString(), QStringLiteral("0"));
}

void TestCellTableModel::rejectsInvalidText() {
    auto doc = smallDocument();
    CellTableModel model;
    model.setTensor(doc.get(), 0);
    QSignalSpy rejected(&model, &CellTableModel::editRejected);
    QVERIFY(!model.setData(model.index(0, 0), QStringLiteral("one")));
    QVERIFY(!model.setData(model.index(0, 0), QStringLiteral("")));
    QCOMPARE(rejected.count(), 2);
    QCOMPARE(doc->undoStack()->count(), 0);
    QCOMPARE(doc->file().tensors[0]->at(0), -3.0);
    QVERIFY(!doc->isModified());
}

void TestCellTableModel::showsShortestTextForNarrowTypes() {
    // float16 and bfloat16 values as torch stores 0.1, 3.14159 and -1e-3 (bits from
    // torch.tensor([...], dtype=...).view(torch.int16)).
    auto file = std::make_unique<WeightFile>();
    file->path = QStringLiteral("/tmp/narrow.pt");
    const auto narrow = [](const QString& name, DType d, std::vector<uint16_t> bits) {
        auto t = std::make_shared<Tensor>();
        t->name = name;
        t->dtype = d;
        t->setContiguousShape({int64_t(bits.size())});
        t->storage = Storage::fromBytes(
            QByteArray(reinterpret_cast<const char*>(bits.data()), qsizetype(bits.size() * 2)),
            name);
        return t;
    };
    file->tensors.push_back(narrow(QStringLiteral("h"), DType::Float16, {0x2e66, 0x4248, 0x9419}));
    file->tensors.push_back(narrow(QStringLiteral("b"), DType::BFloat16, {0x3dcd, 0x4049, 0xba83}));
    Document doc(std::move(file));
    CellTableModel model;
    model.setTensor(&doc, 0);
    QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("0.1"));
    QCOMPARE(model.index(0, 1).data().toString(),
             QStringLiteral("3.14")); // numpy: str(np.float16(3.14159))
    QCOMPARE(model.index(0, 2).data().toString(), QStringLiteral("-0.001"));
    model.setTensor(&doc, 1);
    QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("0.1"));
    QCOMPARE(model.index(0, 1).data().toString(), QStringLiteral("3.14"));
    QCOMPARE(model.index(0, 2).data().toString(), QStringLiteral("-0.001"));
}

void TestCellTableModel::heatmapRubberBandAndClick() {
    auto doc = smallDocument();
    HeatmapWidget h;
    h.resize(600, 400);
    h.show();
    QVERIFY(QTest::qWaitForWindowExposed(&h));
    auto values = std::make_shared<MatrixF>();
    QString error;
    QVERIFY(doc->file().tensors[0]->values(values.get(), &error));
    h.setValues(values, doc->file().tensors[0]);
    h.replot();
    QSignalSpy rect(&h, &HeatmapWidget::rectSelected);
    QSignalSpy clicked(&h, &HeatmapWidget::cellClicked);
    const auto at = [&h](double row, double col) {
        return QPoint(int(h.xAxis->coordToPixel(col)), int(h.yAxis->coordToPixel(row)));
    };
    QTest::mousePress(&h, Qt::LeftButton, Qt::ShiftModifier, at(0, 1));
    QTest::mouseMove(&h, at(1, 2));
    QTest::mouseRelease(&h, Qt::LeftButton, Qt::ShiftModifier, at(2, 2));
    QCOMPARE(rect.count(), 1);
    QCOMPARE(rect.at(0).at(0).toLongLong(), 0); // rows 0..2, cols 1..2
    QCOMPARE(rect.at(0).at(1).toLongLong(), 1);
    QCOMPARE(rect.at(0).at(2).toLongLong(), 3);
    QCOMPARE(rect.at(0).at(3).toLongLong(), 2);
    QVERIFY(h.selectionItem()->visible());
    QCOMPARE(h.selectionItem()->topLeft->coords(), QPointF(0.5, -0.5));
    QCOMPARE(h.selectionItem()->bottomRight->coords(), QPointF(2.5, 2.5));

    QTest::mouseClick(&h, Qt::LeftButton, Qt::NoModifier, at(2, 3));
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(clicked.at(0).at(0).toLongLong(), 2);
    QCOMPARE(clicked.at(0).at(1).toLongLong(), 3);
    h.setCurrentCell(2, 3);
    QVERIFY(h.currentCellItem()->visible());
    QCOMPARE(h.currentCellItem()->topLeft->coords(), QPointF(2.5, 1.5));
}

QTEST_MAIN(TestCellTableModel)
#include "tst_celltablemodel.moc"
