// Main window: opening real fixture files off the GUI thread, showing a tensor
// with the values PyTorch saved, large tensors loaded asynchronously, and errors.
#include "HeatmapWidget.h"
#include "LayerTreeModel.h"
#include "LayerTreeView.h"
#include "MainWindow.h"
#include "StatsPanel.h"
#include "TensorView.h"
#include "TestUtil.h"

#include <QMessageBox>
#include <QMimeData>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace ws;

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void opensCheckpointAndShowsTensor();
    void largeTensorLoadsAsynchronously();
    void reportsUnreadableFile();
    void dropOpensFile();
    void quantizedCheckpointOpensOnItsDecodedWeight();

private:
    QTemporaryDir m_dir;
};

void TestMainWindow::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
}

void TestMainWindow::opensCheckpointAndShowsTensor() {
    const QString path = wstest::fixture(QStringLiteral("pytorch/mlp_state_dict.pt"));
    QVERIFY2(QFile::exists(path), qPrintable(path));
    wstest::Npy expected;
    QVERIFY(wstest::readNpy(
        wstest::fixture(QStringLiteral("pytorch/mlp_state_dict.pt.expected/0.npy")), &expected));
    QCOMPARE(expected.shape, (std::vector<int64_t>{8, 4}));

    MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &MainWindow::fileLoaded);
    QSignalSpy failed(&w, &MainWindow::loadFailed);
    QSignalSpy shown(&w, &MainWindow::tensorShown);
    QVERIFY(w.openFile(path));
    QVERIFY(loaded.wait(10000));
    QCOMPARE(failed.count(), 0);
    QCOMPARE(w.windowTitle(), QStringLiteral("WeightScope — mlp_state_dict.pt[*]"));
    QCOMPARE(MainWindow::recentFiles().value(0), QFileInfo(path).absoluteFilePath());
    QVERIFY(w.weightFile());
    QCOMPARE(w.weightFile()->indexOf(QStringLiteral("0.weight")), 0);

    // The first tensor is shown right away.
    QTRY_COMPARE(shown.count(), 1);
    QCOMPARE(shown.at(0).at(0).toInt(), 0);
    QCOMPARE(w.layerTree()->currentTensor(), 0);
    HeatmapWidget* h = w.tensorView()->heatmap();
    QCOMPARE(w.tensorView()->currentWidget(), static_cast<QWidget*>(h));
    QCOMPARE(h->gridData()->keySize(), 4);
    QCOMPARE(h->gridData()->valueSize(), 8);
    for (int r = 0; r < 8; ++r)
        for (int c = 0; c < 4; ++c)
            QCOMPARE(float(h->gridCell(c, r)), float(expected.values[size_t(r * 4 + c)]));
    const QString readout = h->readoutAt(5, 2);
    QVERIFY2(readout.startsWith(QStringLiteral("row 5, column 2: ")), qPrintable(readout));
    QCOMPARE(QLocale::c().toFloat(readout.section(QLatin1Char(' '), -1)),
             float(expected.values[5 * 4 + 2]));
    QCOMPARE(w.statsPanel()->value(QStringLiteral("shape")), QStringLiteral("[8, 4]"));

    // Selecting the second layer's weight shows its values.
    wstest::Npy second;
    QVERIFY(wstest::readNpy(
        wstest::fixture(QStringLiteral("pytorch/mlp_state_dict.pt.expected/2.npy")), &second));
    const int index = w.weightFile()->indexOf(QStringLiteral("2.weight"));
    QVERIFY(w.layerTree()->selectTensor(index));
    QTRY_COMPARE(shown.count(), 2);
    QCOMPARE(h->gridData()->keySize(), 8);
    QCOMPARE(h->gridData()->valueSize(), 3);
    QCOMPARE(float(h->gridCell(7, 2)), float(second.values[2 * 8 + 7]));

    // The root row shows the whole model's parameter count (8*4 + 8 + 3*8 + 3).
    QCOMPARE(w.layerTree()->model()->index(0, LayerTreeModel::ParamsColumn).data().toString(),
             QStringLiteral("67"));
}

void TestMainWindow::largeTensorLoadsAsynchronously() {
    // 1200 x 1000 float32 written by numpy as safetensors: over the synchronous limit.
    const QString path = m_dir.filePath(QStringLiteral("big.safetensors"));
    const QString script = QStringLiteral(
        "import json, struct, sys, numpy as np\n"
        "a = np.arange(1200 * 1000, dtype=np.float32).reshape(1200, 1000) * 0.001\n"
        "a[777, 333] = -5000.0\n"
        "h = json.dumps({'big.weight': {'dtype': 'F32', 'shape': [1200, 1000],\n"
        "    'data_offsets': [0, a.nbytes]}}).encode()\n"
        "h += b' ' * (-len(h) % 8)\n"
        "open(sys.argv[1], 'wb').write(struct.pack('<Q', len(h)) + h + a.tobytes())\n");
    QString output;
    QCOMPARE(wstest::runPython({QStringLiteral("-c"), script, path}, &output), 0);

    MainWindow w;
    QSignalSpy loaded(&w, &MainWindow::fileLoaded);
    QSignalSpy failed(&w, &MainWindow::loadFailed);
    QSignalSpy shown(&w, &MainWindow::tensorShown);
    w.openFile(path);
    QVERIFY(loaded.wait(10000));
    QCOMPARE(failed.count(), 0);
    // The first tensor is selected and shown at once: the view reads only the tiles it
    // draws; statistics stream over the values on a worker and follow.
    QCOMPARE(w.layerTree()->currentTensor(), 0);
    QCOMPARE(shown.count(), 1);
    HeatmapWidget* h = w.tensorView()->heatmap();
    QCOMPARE(w.tensorView()->currentWidget(), static_cast<QWidget*>(h));
    QVERIFY(h->readoutAt(777, 333).endsWith(QStringLiteral(": -5000")));
    QTRY_COMPARE_WITH_TIMEOUT(h->colorRange().lower, -5000.0, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(w.statsPanel()->value(QStringLiteral("min")), QStringLiteral("-5000"),
                              10000);
}

void TestMainWindow::reportsUnreadableFile() {
    const QString path = m_dir.filePath(QStringLiteral("garbage.pt"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("this is not a checkpoint at all");
    f.close();
    MainWindow w;
    QSignalSpy failed(&w, &MainWindow::loadFailed);
    QVERIFY(w.openFile(path));
    QVERIFY(failed.wait(10000));
    QVERIFY2(failed.at(0).at(0).toString().contains(QStringLiteral("garbage.pt")),
             qPrintable(failed.at(0).at(0).toString()));
    QCOMPARE(w.windowTitle(), QStringLiteral("WeightScope"));
    // The error is shown in a (non-blocking) message box that names the file.
    QMessageBox* box = w.findChild<QMessageBox*>();
    QVERIFY(box);
    QVERIFY(box->text().contains(path));
    QVERIFY(!w.openFile(QString()));
}

void TestMainWindow::dropOpensFile() {
    const QString path = wstest::fixture(QStringLiteral("pytorch/mlp_state_dict.pt"));
    QVERIFY2(QFile::exists(path), qPrintable(path));
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QSignalSpy loaded(&w, &MainWindow::fileLoaded);
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(path)});
    const QPoint centre = w.rect().center();
    QDragEnterEvent enter(centre, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(centre, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &drop);
    QVERIFY(loaded.wait(10000));
    QCOMPARE(w.weightFile()->tensors.size(), size_t(4));
    QCOMPARE(w.windowTitle(), QStringLiteral("WeightScope — mlp_state_dict.pt[*]"));
}

void TestMainWindow::quantizedCheckpointOpensOnItsDecodedWeight() {
    // The file's first tensor is the FP8 codes of a block-scaled layer: the window opens
    // on the weight they decode to, not on the codes.
    MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &MainWindow::fileLoaded);
    QSignalSpy shown(&w, &MainWindow::tensorShown);
    QVERIFY(w.openFile(
        wstest::fixture(QStringLiteral("quant/safetensors/fp8_block/model.safetensors"))));
    QVERIFY(loaded.wait(10000));
    QTRY_COMPARE(shown.count(), 1);
    const WeightFile& f = *w.weightFile();
    QCOMPARE(f.tensors.front()->name, QStringLiteral("model.layers.0.mlp.down_proj.weight"));
    const int index = shown.at(0).at(0).toInt();
    QCOMPARE(f.tensors[size_t(index)]->name,
             QStringLiteral("model.layers.0.mlp.down_proj.weight:dequantized"));
    QVERIFY(f.tensors[size_t(index)]->derived);
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
