// Editing in the main window on real fixture files (copied first): typing into
// the cell table with undo, invalid input, fill on a rubber band and restore,
// dragging a bar, the modified title and tree marks, tied tensors, the
// unsaved-changes question, Save As to another format, and difference mode.
#include "BarChartWidget.h"
#include "CellTableView.h"
#include "FormatRegistry.h"
#include "HeatmapWidget.h"
#include "LayerTreeModel.h"
#include "LayerTreeView.h"
#include "MainWindow.h"
#include "SliceControls.h"
#include "StatsPanel.h"
#include "TensorView.h"
#include "TestUtil.h"
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTimer>
#include <QWindow>
#include <QtTest>

using namespace ws;

class TestEditing : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void typingIntoCellAndUndo();
    void rejectsInvalidInput();
    void fillRubberBandAndRestore();
    void barDragIsOneUndoStep();
    void titleTreeAndTiedTensors();
    void closingAsksAboutUnsavedChanges();
    void saveAsConvertsToSafetensors();
    void differenceMode();
    void undoBudgetFromSettings();
    void kerasKernelShownOutIn();
    void fileChangedOnDiskOffersReload();
    void rectangleInSliceEditsThatBox();

private:
    QString copyFixture(const QString& rel);
    bool open(MainWindow& w, const QString& path);
    bool show(MainWindow& w, const QString& tensorName);
    QTemporaryDir m_dir;
    int m_copies = 0;
};

namespace {

std::vector<float> gridValues(const HeatmapWidget* h) {
    std::vector<float> out;
    for (int r = 0; r < h->gridData()->valueSize(); ++r)
        for (int c = 0; c < h->gridData()->keySize(); ++c)
            out.push_back(float(h->gridCell(c, r)));
    return out;
}

std::vector<float> asFloats(const std::vector<double>& v) {
    return std::vector<float>(v.begin(), v.end());
}

// Clicks \a button on the next message box that shows up; sets *seen when it did.
void answerNextMessageBox(QMessageBox::StandardButton button, bool* seen) {
    auto* timer = new QTimer;
    timer->setInterval(20);
    QObject::connect(timer, &QTimer::timeout, [timer, button, seen] {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (!box) return;
        *seen = true;
        timer->stop();
        timer->deleteLater();
        box->button(button)->click();
    });
    timer->start();
}

} // namespace

void TestEditing::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
    settings().clear();
}

QString TestEditing::copyFixture(const QString& rel) {
    const QString source = wstest::fixture(rel);
    const QString target =
        m_dir.filePath(QStringLiteral("%1_%2").arg(++m_copies).arg(QFileInfo(rel).fileName()));
    if (!QFile::copy(source, target)) return QString();
    QFile::setPermissions(target, QFile::ReadOwner | QFile::WriteOwner);
    return target;
}

bool TestEditing::open(MainWindow& w, const QString& path) {
    w.show();
    QApplication::setActiveWindow(&w);
    if (!QTest::qWaitForWindowActive(&w)) return false;
    QSignalSpy loaded(&w, &MainWindow::fileLoaded);
    QSignalSpy shown(&w, &MainWindow::tensorShown);
    if (!w.openFile(path) || !loaded.wait(10000)) return false;
    return shown.count() > 0 || shown.wait(10000);
}

bool TestEditing::show(MainWindow& w, const QString& tensorName) {
    const int index = w.weightFile()->indexOf(tensorName);
    if (index < 0) return false;
    if (w.shownTensor() == index) return true;
    QSignalSpy shown(&w, &MainWindow::tensorShown);
    w.layerTree()->selectTensor(index);
    return (shown.count() > 0 || shown.wait(10000)) && w.shownTensor() == index;
}

void TestEditing::typingIntoCellAndUndo() {
    wstest::Npy expected;
    QVERIFY(wstest::readNpy(
        wstest::fixture(QStringLiteral("pytorch/mlp_state_dict.pt.expected/0.npy")), &expected));
    MainWindow w;
    QVERIFY(open(w, copyFixture(QStringLiteral("pytorch/mlp_state_dict.pt"))));
    QVERIFY(show(w, QStringLiteral("0.weight"))); // [8, 4]
    HeatmapWidget* h = w.tensorView()->heatmap();
    StatsPanel* stats = w.statsPanel();
    const std::vector<float> before = gridValues(h);
    QCOMPARE(before, asFloats(expected.values));
    const QString maxBefore = stats->value(QStringLiteral("max"));
    const QString meanBefore = stats->value(QStringLiteral("mean"));

    // Type "9.5" + Return into cell (5, 2).
    CellTableView* table = w.cellTable();
    table->setFocus();
    table->setCurrentIndex(table->model()->index(5, 2));
    QTest::keyClick(table, Qt::Key_9);
    QWidget* editor = QApplication::focusWidget();
    QVERIFY(qobject_cast<QLineEdit*>(editor));
    QTest::keyClicks(editor, QStringLiteral(".5"));
    QTest::keyClick(editor, Qt::Key_Return);
    QTRY_COMPARE(float(h->gridCell(2, 5)), 9.5f);
    QTRY_COMPARE(stats->value(QStringLiteral("max")), QStringLiteral("9.5"));
    QVERIFY(stats->value(QStringLiteral("mean")) != meanBefore);
    QCOMPARE(table->model()->index(5, 2).data().toString(), QStringLiteral("9.5"));
    // The current table cell is outlined on the heatmap.
    QVERIFY(h->currentCellItem()->visible());
    QCOMPARE(h->currentCellItem()->topLeft->coords(), QPointF(1.5, 4.5));

    // More typing in the same cell joins the same undo step.
    QVERIFY(table->model()->setData(table->model()->index(5, 2), QStringLiteral("7.25")));
    QTRY_COMPARE(float(h->gridCell(2, 5)), 7.25f);
    QCOMPARE(w.document()->undoStack()->count(), 1);

    // Ctrl+Z on the window restores the file's values and statistics exactly.
    QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
    QTRY_COMPARE(gridValues(h), before);
    QTRY_COMPARE(stats->value(QStringLiteral("max")), maxBefore);
    QCOMPARE(stats->value(QStringLiteral("mean")), meanBefore);
    QCOMPARE(w.document()->undoStack()->index(), 0);
    QVERIFY(!w.isWindowModified());
    // Redo brings the last typed value back.
    QCOMPARE(w.redoAction()->shortcut(), QKeySequence(QKeySequence::Redo));
    QVERIFY(!w.redoAction()->shortcut().isEmpty());
    w.redoAction()->trigger();
    QTRY_COMPARE(float(h->gridCell(2, 5)), 7.25f);

    // A click on the heatmap selects that cell in the table.
    h->replot();
    const QPoint p(int(h->xAxis->coordToPixel(3)), int(h->yAxis->coordToPixel(6)));
    QTest::mouseClick(h, Qt::LeftButton, Qt::NoModifier, p);
    QCOMPARE(table->currentIndex(), table->model()->index(6, 3));
    QCOMPARE(h->currentCellItem()->topLeft->coords(), QPointF(2.5, 5.5));
    w.document()->undoStack()->setClean(); // no question at close
}

void TestEditing::rejectsInvalidInput() {
    MainWindow w;
    QVERIFY(open(w, copyFixture(QStringLiteral("pytorch/dtypes.pt"))));
    const struct {
        const char* tensor;
        const char* text;
    } cases[] = {{"f32", "abc"}, {"i8", "300"}, {"bool", "2"}, {"i64", "0.5"}, {"u8", "-1"}};
    for (const auto& c : cases) {
        QVERIFY(show(w, QLatin1String(c.tensor)));
        QAbstractItemModel* m = w.cellTable()->model();
        const QModelIndex i = m->index(0, 0);
        const QString before = i.data().toString();
        const QString statsBefore = w.statsPanel()->value(QStringLiteral("mean"));
        QVERIFY2(!m->setData(i, QLatin1String(c.text)), c.tensor);
        QCOMPARE(i.data().toString(), before);
        QCOMPARE(w.statsPanel()->value(QStringLiteral("mean")), statsBefore);
        QVERIFY2(w.statusBar()->currentMessage().startsWith(QStringLiteral("Not changed")),
                 qPrintable(w.statusBar()->currentMessage()));
    }
    QCOMPARE(w.document()->undoStack()->count(), 0);
    QVERIFY(!w.document()->isModified());
    // Values that fit are taken.
    QVERIFY(show(w, QStringLiteral("i8")));
    QVERIFY(w.cellTable()->model()->setData(w.cellTable()->model()->index(0, 1),
                                            QStringLiteral("-128")));
    QCOMPARE(w.cellTable()->model()->index(0, 1).data().toString(), QStringLiteral("-128"));
    QVERIFY(show(w, QStringLiteral("bool")));
    QVERIFY(w.cellTable()->model()->setData(w.cellTable()->model()->index(0, 0),
                                            QStringLiteral("false")));
    QCOMPARE(w.cellTable()->model()->index(0, 0).data().toString(), QStringLiteral("False"));
    w.document()->undoStack()->setClean();
}

void TestEditing::fillRubberBandAndRestore() {
    wstest::Npy expected;
    QVERIFY(wstest::readNpy(
        wstest::fixture(QStringLiteral("pytorch/mlp_state_dict.pt.expected/0.npy")), &expected));
    MainWindow w;
    QVERIFY(open(w, copyFixture(QStringLiteral("pytorch/mlp_state_dict.pt"))));
    QVERIFY(show(w, QStringLiteral("0.weight")));
    HeatmapWidget* h = w.tensorView()->heatmap();
    h->replot();
    const auto at = [h](double row, double col) {
        return QPoint(int(h->xAxis->coordToPixel(col)), int(h->yAxis->coordToPixel(row)));
    };
    // Shift+drag from cell (2, 1) to (4, 2): rows 2-4, columns 1-2.
    QTest::mousePress(h, Qt::LeftButton, Qt::ShiftModifier, at(2, 1));
    QTest::mouseMove(h, at(3, 2));
    QTest::mouseRelease(h, Qt::LeftButton, Qt::ShiftModifier, at(4, 2));
    QVERIFY(w.hasSelection());
    QVERIFY(h->selectionItem()->visible());
    // A plain click inside the selection moves the current cell and keeps the selection.
    QTest::mouseClick(h, Qt::LeftButton, Qt::NoModifier, at(3, 1));
    QVERIFY(w.hasSelection());
    QVERIFY(h->selectionItem()->visible());
    QCOMPARE(w.cellTable()->currentIndex().row(), 3);
    QCOMPARE(w.cellTable()->currentIndex().column(), 1);
    QVERIFY(w.applyOperation(EditOperation::set(0.5)));
    const Tensor& t = *w.weightFile()->tensors[size_t(w.shownTensor())];
    for (int r = 0; r < 8; ++r)
        for (int c = 0; c < 4; ++c) {
            const bool inside = r >= 2 && r <= 4 && c >= 1 && c <= 2;
            const double want = inside ? 0.5 : double(float(expected.values[size_t(r * 4 + c)]));
            QCOMPARE(t.at(r * 4 + c), want);
        }
    QTRY_COMPARE(float(h->gridCell(1, 3)), 0.5f);
    QVERIFY(w.isWindowModified());
    // A plain click outside it selects that cell alone.
    QTest::mouseClick(h, Qt::LeftButton, Qt::NoModifier, at(6, 3));
    QVERIFY(!w.hasSelection());
    QCOMPARE(w.cellTable()->currentIndex().row(), 6);

    // With nothing selected an operation covers the whole tensor; restore brings
    // back the file's values.
    w.clearSelection();
    QVERIFY(!h->selectionItem()->visible());
    QVERIFY(w.applyOperation(EditOperation::multiply(2)));
    QCOMPARE(t.at(0), double(float(expected.values[0]) * 2.0f));
    QVERIFY(w.applyOperation(EditOperation::restore()));
    for (int i = 0; i < 32; ++i)
        QCOMPARE(t.at(i), double(float(expected.values[size_t(i)])));
    QTRY_COMPARE(gridValues(h), asFloats(expected.values));
    QCOMPARE(w.document()->undoStack()->count(), 3);
    w.document()->undoStack()->setClean();
}

void TestEditing::barDragIsOneUndoStep() {
    wstest::Npy expected;
    QVERIFY(wstest::readNpy(
        wstest::fixture(QStringLiteral("pytorch/mlp_state_dict.pt.expected/1.npy")), &expected));
    MainWindow w;
    QVERIFY(open(w, copyFixture(QStringLiteral("pytorch/mlp_state_dict.pt"))));
    QVERIFY(show(w, QStringLiteral("0.bias"))); // [8]
    BarChartWidget* chart = w.tensorView()->barChart();
    QCOMPARE(w.tensorView()->currentWidget(), static_cast<QWidget*>(chart));
    chart->replot();
    const double v = expected.values[3];
    const int x = int(chart->xAxis->coordToPixel(3));
    const int y = int(chart->yAxis->coordToPixel(v));
    QTest::mousePress(chart, Qt::LeftButton, Qt::NoModifier, QPoint(x, y));
    QTest::mouseMove(chart, QPoint(x, y - 15));
    QTest::mouseMove(chart, QPoint(x, y - 30));
    QTest::mouseMove(chart, QPoint(x, y - 40));
    const double target = chart->yAxis->pixelToCoord(y - 40);
    QTest::mouseRelease(chart, Qt::LeftButton, Qt::NoModifier, QPoint(x, y - 40));
    const Tensor& t = *w.weightFile()->tensors[size_t(w.shownTensor())];
    QCOMPARE(t.at(3), double(float(target)));
    QCOMPARE(w.document()->undoStack()->count(), 1);
    // The bar follows.
    QTRY_COMPARE(chart->bars()->data()->at(3)->value, double(float(target)));
    QCOMPARE(t.at(2), double(float(expected.values[2])));
    QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(t.at(3), double(float(v)));
    QTRY_COMPARE(chart->bars()->data()->at(3)->value, double(float(v)));

    // Shift+drag selects a range of bars.
    chart->replot();
    QTest::mousePress(chart, Qt::LeftButton, Qt::ShiftModifier,
                      QPoint(int(chart->xAxis->coordToPixel(5)), y));
    QTest::mouseRelease(chart, Qt::LeftButton, Qt::ShiftModifier,
                        QPoint(int(chart->xAxis->coordToPixel(6)), y));
    QVERIFY(w.hasSelection());
    QVERIFY(w.applyOperation(EditOperation::set(0)));
    for (int i = 0; i < 8; ++i)
        QCOMPARE(t.at(i), i == 5 || i == 6 ? 0.0 : double(float(expected.values[size_t(i)])));
    w.document()->undoStack()->setClean();
}

void TestEditing::titleTreeAndTiedTensors() {
    const QString path = copyFixture(QStringLiteral("pytorch/views_shared.pt"));
    MainWindow w;
    QVERIFY(open(w, path));
    QVERIFY(show(w, QStringLiteral("tied_a")));
    const int a = w.weightFile()->indexOf(QStringLiteral("tied_a"));
    const int b = w.weightFile()->indexOf(QStringLiteral("tied_b"));
    QVERIFY(w.document()->linkedTensors(a).contains(b));
    QVERIFY(!w.isWindowModified());
    QVERIFY(!w.windowHandle()->title().contains(QLatin1Char('*')));

    // An edit through tied_b shows in the view of tied_a.
    const Tensor& tb = *w.weightFile()->tensors[size_t(b)];
    QString error;
    QVERIFY(w.document()->edit(b, Region::cell2d(tb, 1, 2), EditOperation::set(-6.5), &error));
    HeatmapWidget* h = w.tensorView()->heatmap();
    QTRY_COMPARE(float(h->gridCell(2, 1)), -6.5f);
    QTRY_COMPARE(w.statsPanel()->value(QStringLiteral("min")), QStringLiteral("-6.5"));
    QCOMPARE(w.cellTable()->model()->index(1, 2).data().toString(), QStringLiteral("-6.5"));

    QVERIFY(w.isWindowModified());
    QVERIFY2(w.windowHandle()->title().contains(QStringLiteral("views_shared.pt*")),
             qPrintable(w.windowHandle()->title()));
    LayerTreeModel* model = w.layerTree()->model();
    for (int i : {a, b}) {
        const QModelIndex idx = model->indexOfTensor(i);
        QVERIFY(idx.data().toString().startsWith(QStringLiteral("● ")));
        QVERIFY(idx.data(Qt::FontRole).value<QFont>().bold());
    }
    const QModelIndex base = model->indexOfTensor(w.weightFile()->indexOf(QStringLiteral("base")));
    QVERIFY(!base.data().toString().startsWith(QStringLiteral("● ")));

    // Save in place: no star, no marks; the file holds the new value.
    QVERIFY(w.save());
    QVERIFY(!w.isWindowModified());
    QVERIFY(!w.windowHandle()->title().contains(QLatin1Char('*')));
    QVERIFY(!model->indexOfTensor(a).data().toString().startsWith(QStringLiteral("● ")));
    auto reread = openWeightFile(path, &error);
    QVERIFY2(reread, qPrintable(error));
    TensorPtr ra = reread->find(QStringLiteral("tied_a"));
    QVERIFY(ra && ra->check(&error));
    QCOMPARE(ra->at(5), -6.5);
    // Undo after the save makes it modified again.
    QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
    QVERIFY(w.isWindowModified());
    QVERIFY(model->indexOfTensor(a).data().toString().startsWith(QStringLiteral("● ")));
    w.document()->undoStack()->redo();
    QVERIFY(!w.isWindowModified());
}

void TestEditing::closingAsksAboutUnsavedChanges() {
    MainWindow w;
    QVERIFY(open(w, copyFixture(QStringLiteral("pytorch/mlp_state_dict.pt"))));
    QVERIFY(w.applyOperation(EditOperation::set(1)));
    bool seen = false;
    answerNextMessageBox(QMessageBox::Cancel, &seen);
    QVERIFY(!w.close());
    QVERIFY(seen);
    QVERIFY(w.isVisible());
    QVERIFY(w.document()->isModified());
    // Opening another file asks too; Cancel keeps the document.
    seen = false;
    answerNextMessageBox(QMessageBox::Cancel, &seen);
    QVERIFY(!w.openFile(wstest::fixture(QStringLiteral("pytorch/dtypes.pt"))));
    QVERIFY(seen);
    seen = false;
    answerNextMessageBox(QMessageBox::Discard, &seen);
    QVERIFY(w.close());
    QVERIFY(seen);
    QVERIFY(!w.isVisible());
}

void TestEditing::saveAsConvertsToSafetensors() {
    const QString source = copyFixture(QStringLiteral("pytorch/mlp_state_dict.pt"));
    MainWindow w;
    QVERIFY(open(w, source));
    QVERIFY(show(w, QStringLiteral("2.weight")));
    const Tensor& t = *w.weightFile()->tensors[size_t(w.shownTensor())];
    QString error;
    QVERIFY(w.document()->edit(w.shownTensor(), Region::cell2d(t, 1, 3), EditOperation::set(0.125),
                               &error));
    const QString out = m_dir.filePath(QStringLiteral("converted.safetensors"));
    const FileFormat* st = formatById(QStringLiteral("safetensors"));
    QVERIFY(st);
    QVERIFY(w.saveDocument(out, st));
    // A converted copy: the document still refers to the PyTorch file and is unsaved.
    QCOMPARE(w.document()->file().path, source);
    QVERIFY(w.isWindowModified());
    auto copy = openWeightFile(out, &error);
    QVERIFY2(copy, qPrintable(error));
    QCOMPARE(copy->formatId, QStringLiteral("safetensors"));
    QCOMPARE(copy->tensors.size(), w.weightFile()->tensors.size());
    for (const TensorPtr& mine : w.weightFile()->tensors) {
        TensorPtr theirs = copy->find(mine->name);
        QVERIFY(theirs);
        QCOMPARE(theirs->shape, mine->shape);
        std::vector<double> a, b;
        QVERIFY(mine->valuesDouble(&a, &error));
        QVERIFY(theirs->valuesDouble(&b, &error));
        QCOMPARE(b, a);
    }
    QCOMPARE(copy->find(QStringLiteral("2.weight"))->at(1 * 8 + 3), 0.125);
    w.document()->undoStack()->setClean();
}

void TestEditing::differenceMode() {
    wstest::Npy expected;
    QVERIFY(wstest::readNpy(
        wstest::fixture(QStringLiteral("pytorch/mlp_state_dict.pt.expected/0.npy")), &expected));
    MainWindow w;
    QVERIFY(open(w, copyFixture(QStringLiteral("pytorch/mlp_state_dict.pt"))));
    QVERIFY(show(w, QStringLiteral("0.weight")));
    HeatmapWidget* h = w.tensorView()->heatmap();
    w.diffAction()->setChecked(true);
    QVERIFY(h->differenceMode());
    QCOMPARE(gridValues(h), std::vector<float>(32, 0.0f));
    QCOMPARE(h->colorRange().lower, -h->colorRange().upper); // centred at zero
    QVERIFY(w.cellTable()->model()->setData(w.cellTable()->model()->index(5, 2),
                                            QStringLiteral("1.5")));
    const float diff = 1.5f - float(expected.values[5 * 4 + 2]);
    std::vector<float> want(32, 0.0f);
    want[5 * 4 + 2] = diff;
    QTRY_COMPARE(gridValues(h), want);
    QCOMPARE(h->colorRange().upper, double(std::fabs(diff)));
    QCOMPARE(h->colorRange().lower, -double(std::fabs(diff)));
    // Back to values.
    w.diffAction()->setChecked(false);
    QVERIFY(!h->differenceMode());
    QCOMPARE(float(h->gridCell(2, 5)), 1.5f);
    QCOMPARE(float(h->gridCell(0, 0)), float(expected.values[0]));
    // Toggling keeps the zoomed view.
    h->xAxis->setRange(0.5, 2.5);
    h->yAxis->setRange(3.5, 6.5);
    w.diffAction()->setChecked(true);
    QCOMPARE(h->xAxis->range(), QCPRange(0.5, 2.5));
    QCOMPARE(h->yAxis->range(), QCPRange(3.5, 6.5));
    w.diffAction()->setChecked(false);
    QCOMPARE(h->xAxis->range(), QCPRange(0.5, 2.5));
    QCOMPARE(h->yAxis->range(), QCPRange(3.5, 6.5));
    w.document()->undoStack()->setClean();
}

void TestEditing::undoBudgetFromSettings() {
    QCOMPARE(MainWindow::undoBudgetMiB(), 1024); // the default
    settings().setValue(QStringLiteral("undoBudgetMiB"), 64);
    MainWindow w;
    QVERIFY(open(w, copyFixture(QStringLiteral("pytorch/mlp_state_dict.pt"))));
    QCOMPARE(w.document()->undoBudget(), qint64(64) << 20);
    settings().remove(QStringLiteral("undoBudgetMiB"));
}

void TestEditing::kerasKernelShownOutIn() {
    // h5py wrote the Dense kernel (in 4, out 3); the view shows it (out, in) like PyTorch.
    QFile jf(wstest::fixture(QStringLiteral("hdf5/expected.json")));
    QVERIFY(jf.open(QIODevice::ReadOnly));
    const QJsonArray tensors = QJsonDocument::fromJson(jf.readAll())
                                   .object()[QStringLiteral("keras2_model.h5")]
                                   .toObject()[QStringLiteral("tensors")]
                                   .toArray();
    QJsonArray kernel;
    for (const QJsonValue& t : tensors)
        if (t[QStringLiteral("name")] == QStringLiteral("model_weights/dense/dense/kernel:0"))
            kernel = t[QStringLiteral("values")].toArray();
    QCOMPARE(kernel.size(), 12);
    MainWindow w;
    QVERIFY(open(w, copyFixture(QStringLiteral("hdf5/keras2_model.h5"))));
    QVERIFY(show(w, QStringLiteral("model_weights/dense/dense/kernel:0")));
    HeatmapWidget* h = w.tensorView()->heatmap();
    QCOMPARE(h->gridData()->valueSize(), 3); // rows: output features
    QCOMPARE(h->gridData()->keySize(), 4);   // columns: input features
    for (int o = 0; o < 3; ++o)
        for (int i = 0; i < 4; ++i)
            QCOMPARE(float(h->gridCell(i, o)), float(kernel[i * 3 + o].toDouble()));
    // Typing into (out 1, in 2) changes kernel[2, 1] of the file's (in, out) layout.
    CellTableModel* model = w.cellTable()->cellModel();
    QCOMPARE(model->rowCount(), 3);
    QVERIFY(model->setData(model->index(1, 2), QStringLiteral("7.5"), Qt::EditRole));
    const TensorPtr base =
        w.weightFile()->find(QStringLiteral("model_weights/dense/dense/kernel:0"));
    QCOMPARE(base->at(2 * 3 + 1), 7.5);
    QTRY_COMPARE(float(h->gridCell(2, 1)), 7.5f);
    QCOMPARE(model->data(model->index(1, 2)).toString(), QStringLiteral("7.5"));
}

void TestEditing::fileChangedOnDiskOffersReload() {
    MainWindow w;
    const QString path = copyFixture(QStringLiteral("pytorch/mlp_state_dict.pt"));
    QVERIFY(open(w, path));
    QVERIFY(show(w, QStringLiteral("0.bias")));
    QString err;
    QVERIFY2(w.document()->edit(QStringLiteral("0.bias"),
                                Region::whole(*w.weightFile()->find(QStringLiteral("0.bias"))),
                                EditOperation::set(1.0), &err),
             qPrintable(err));
    QVERIFY(w.document()->isModified());
    // Another program rewrites the file in place (as torch.save does).
    {
        QFile source(wstest::fixture(QStringLiteral("pytorch/dtypes.pt")));
        QVERIFY(source.open(QIODevice::ReadOnly));
        QFile target(path);
        QVERIFY(target.open(QIODevice::WriteOnly | QIODevice::Truncate));
        target.write(source.readAll());
    }
    QMessageBox* box = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT(
        (box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) != nullptr, 10000);
    QCOMPARE(box->windowTitle(), QStringLiteral("File Changed on Disk"));
    QVERIFY2(box->text().contains(QLatin1String("discards your unsaved edits")),
             qPrintable(box->text()));
    QAbstractButton* reload = nullptr;
    for (QAbstractButton* b : box->buttons())
        if (b->text() == QLatin1String("Reload")) reload = b;
    QVERIFY(reload);
    QSignalSpy loaded(&w, &MainWindow::fileLoaded);
    reload->click();
    QVERIFY(loaded.wait(10000));
    // The new contents, as torch wrote them (names from the fixture's manifest).
    QFile manifest(wstest::fixture(QStringLiteral("pytorch/dtypes.pt.expected/expected.json")));
    QVERIFY(manifest.open(QIODevice::ReadOnly));
    const QJsonArray expected = QJsonDocument::fromJson(manifest.readAll())["tensors"].toArray();
    QCOMPARE(int(w.weightFile()->tensors.size()), expected.size());
    for (int i = 0; i < expected.size(); ++i)
        QCOMPARE(w.weightFile()->tensors[size_t(i)]->name, expected[i]["name"].toString());
    QVERIFY(!w.document()->isModified());
    QCOMPARE(w.weightFile()->path, path);
    // Our own saves do not count as changes by another program.
    QVERIFY(show(w, QStringLiteral("f32")));
    QVERIFY(w.document()->edit(QStringLiteral("f32"),
                               Region::whole(*w.weightFile()->find(QStringLiteral("f32"))),
                               EditOperation::set(2.0), &err));
    QVERIFY2(w.document()->save(path, &err), qPrintable(err));
    QTest::qWait(300);
    QVERIFY(!qobject_cast<QMessageBox*>(QApplication::activeModalWidget()));
}

void TestEditing::rectangleInSliceEditsThatBox() {
    // Conv weight [2, 1, 3, 3] (torch wrote 23.npy): in the Slice view of kernel
    // (1, 0), a rectangle of rows 0-1 x columns 1-2 is the box [1, 0, 0:2, 1:3].
    wstest::Npy expected;
    QVERIFY(wstest::readNpy(
        wstest::fixture(QStringLiteral("pytorch/whole_module.pt.expected/23.npy")), &expected));
    MainWindow w;
    QVERIFY(open(w, copyFixture(QStringLiteral("pytorch/whole_module.pt"))));
    QVERIFY(show(w, QStringLiteral("6.weight")));
    SliceSpec spec;
    spec.mode = SliceSpec::Mode::Slice;
    spec.rowAxis = 2;
    spec.colAxis = 3;
    spec.index = {1, 0, 0, 0};
    w.tensorView()->sliceControls()->setSpec(spec);
    Q_EMIT w.tensorView()->sliceControls()->changed(); // as the controls do
    QVERIFY(w.tensorView()->isSliced());
    HeatmapWidget* h = w.tensorView()->heatmap();
    Q_EMIT h->rectSelected(0, 1, 2, 2);
    QVERIFY(h->selectionItem()->visible());
    QAction* zero = nullptr;
    for (QAction* a : w.findChildren<QAction*>())
        if (a->text().remove(QLatin1Char('&')) == QLatin1String("Set to Zero")) zero = a;
    QVERIFY(zero);
    zero->trigger();
    const TensorPtr t = w.weightFile()->find(QStringLiteral("6.weight"));
    std::vector<double> now;
    QString err;
    QVERIFY2(t->valuesDouble(&now, &err), qPrintable(err));
    QCOMPARE(now.size(), expected.values.size());
    int zeroed = 0;
    for (int o = 0; o < 2; ++o)
        for (int a = 0; a < 3; ++a)
            for (int b = 0; b < 3; ++b) {
                const size_t i = size_t(o * 9 + a * 3 + b);
                const bool inBox = o == 1 && a <= 1 && b >= 1;
                QCOMPARE(now[i], inBox ? 0.0 : expected.values[i]);
                zeroed += inBox;
            }
    QCOMPARE(zeroed, 4);
    // The heatmap of the slice shows the zeros.
    QTRY_COMPARE(float(h->gridCell(1, 0)), 0.0f);
    QCOMPARE(float(h->gridCell(0, 0)), float(expected.values[9]));
    // Another slice drops the selection: an edit then applies to the whole tensor.
    spec.index = {0, 0, 0, 0};
    w.tensorView()->sliceControls()->setSpec(spec);
    Q_EMIT w.tensorView()->sliceControls()->changed();
    QVERIFY(!h->selectionItem()->visible());
    w.document()->undoStack()->undo();
    QVERIFY(t->valuesDouble(&now, &err));
    QCOMPARE(now, expected.values);
    w.document()->undoStack()->setClean();
}

QTEST_MAIN(TestEditing)
#include "tst_editing.moc"
