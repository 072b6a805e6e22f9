// Shared by the main-window tests of issue 16: fixture copies in a temporary
// folder, settings that never touch the user's (QSettings::setPath to a temporary
// folder), opening a file and showing a tensor, and answering modal dialogs.
#pragma once

#include "CellTableView.h"
#include "EditUndoCommand.h"
#include "FigureOptions.h"
#include "FormatRegistry.h"
#include "HeatmapWidget.h"
#include "HistogramWidget.h"
#include "LayerTreeModel.h"
#include "LayerTreeView.h"
#include "MainWindow.h"
#include "SpectrumWidget.h"
#include "StatsPanel.h"
#include "TensorView.h"
#include "TestUtil.h"

#include <QCheckBox>
#include <QClipboard>
#include <QDialog>
#include <QDockWidget>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTimer>
#include <QUndoStack>
#include <QUndoView>
#include <QtTest>
#include <cmath>
#include <functional>

namespace wstest {

// Runs \a f on the next modal dialog that shows up (polling); *seen says it did.
// Delete the returned timer to stop waiting.
inline QTimer* onNextModal(std::function<void(QWidget*)> f, bool* seen) {
    auto* timer = new QTimer;
    timer->setInterval(20);
    QObject::connect(timer, &QTimer::timeout, [timer, f, seen] {
        QWidget* modal = QApplication::activeModalWidget();
        if (!modal || !modal->isVisible()) return;
        *seen = true;
        timer->stop();
        timer->deleteLater();
        f(modal);
    });
    timer->start();
    return timer;
}

inline QTimer* answerBox(QMessageBox::StandardButton button, bool dontAsk, bool* seen) {
    return onNextModal(
        [button, dontAsk](QWidget* w) {
            auto* box = qobject_cast<QMessageBox*>(w);
            QVERIFY(box);
            QVERIFY(box->checkBox());
            box->checkBox()->setChecked(dontAsk);
            box->button(button)->click();
        },
        seen);
}

} // namespace wstest

/// Base of the test classes: call setUpCase() from initTestCase() and
/// resetSettings() from init().
class MainWindowFixture : public QObject {
protected:
    void setUpCase();
    void resetSettings();
    QString copyFixture(const QString& rel);
    /// A state dict with a Linear, a LayerNorm, an Embedding and a BatchNorm1d.
    QString makeLayersFile();
    bool open(ws::MainWindow& w, const QString& path);
    bool show(ws::MainWindow& w, const QString& tensorName);
    std::vector<float> values(const ws::MainWindow& w, const QString& name);
    QTemporaryDir m_dir;
    QTemporaryDir m_settingsDir;
    int m_copies = 0;
};

inline void MainWindowFixture::setUpCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
    QVERIFY(m_settingsDir.isValid());
    // Never the user's settings: every QSettings of this process lives in a temporary folder.
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    QVERIFY(ws::settings().fileName().startsWith(m_settingsDir.path()));
}

inline void MainWindowFixture::resetSettings() {
    ws::settings().clear();
    ws::settings().sync();
}

inline QString MainWindowFixture::copyFixture(const QString& rel) {
    const QString source = wstest::fixture(rel);
    const QString target =
        m_dir.filePath(QStringLiteral("%1_%2").arg(++m_copies).arg(QFileInfo(rel).fileName()));
    if (!QFile::copy(source, target)) return QString();
    QFile::setPermissions(target, QFile::ReadOwner | QFile::WriteOwner);
    return target;
}

// A state dict with a Linear, a LayerNorm, an Embedding and a BatchNorm1d (buffers).
inline QString MainWindowFixture::makeLayersFile() {
    const QString path = m_dir.filePath(QStringLiteral("layers_%1.pt").arg(++m_copies));
    const QString script = QStringLiteral("import sys, torch\n"
                                          "torch.manual_seed(0)\n"
                                          "m = torch.nn.Module()\n"
                                          "m.lin = torch.nn.Linear(16, 6)\n"
                                          "m.ln = torch.nn.LayerNorm(6)\n"
                                          "m.embed = torch.nn.Embedding(200, 16)\n"
                                          "m.bn = torch.nn.BatchNorm1d(6)\n"
                                          "torch.save(m.state_dict(), sys.argv[1])\n");
    QString out;
    if (wstest::runPython({QStringLiteral("-c"), script, path}, &out) != 0) {
        qWarning("%s", qPrintable(out));
        return QString();
    }
    return path;
}

inline bool MainWindowFixture::open(ws::MainWindow& w, const QString& path) {
    w.show();
    QApplication::setActiveWindow(&w);
    if (!QTest::qWaitForWindowActive(&w)) return false;
    QSignalSpy loaded(&w, &ws::MainWindow::fileLoaded);
    QSignalSpy shown(&w, &ws::MainWindow::tensorShown);
    if (!w.openFile(path) || !loaded.wait(10000)) return false;
    return shown.count() > 0 || shown.wait(10000);
}

inline bool MainWindowFixture::show(ws::MainWindow& w, const QString& tensorName) {
    const int index = w.weightFile()->indexOf(tensorName);
    if (index < 0) return false;
    if (w.shownTensor() == index) return true;
    QSignalSpy shown(&w, &ws::MainWindow::tensorShown);
    w.layerTree()->selectTensor(index);
    return (shown.count() > 0 || shown.wait(10000)) && w.shownTensor() == index;
}

inline std::vector<float> MainWindowFixture::values(const ws::MainWindow& w, const QString& name) {
    const ws::TensorPtr t = w.weightFile()->find(name);
    std::vector<float> v(t ? size_t(t->numel()) : 0);
    if (t && !t->readFloats(0, t->numel(), v.data(), nullptr)) v.clear();
    return v;
}
