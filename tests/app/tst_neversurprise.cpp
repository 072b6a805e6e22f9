// The main window never loses work or surprises (issue 16): shortcuts reach the
// window from the filter box, whole-tensor edits ask first (with "don't ask again"
// in test-local settings), pre-filled numbers are selected, the history reads as
// expressions and copies as a `weightscope edit` command that reproduces the
// document, copy/paste of tab-separated blocks, the window fits 1366 x 768,
// Re-initialize names its initializer, Help lists every shortcut, and the
// file-changed question waits for the other writer.
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

using namespace ws;

class TestNeverSurprise : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void filterBoxLeavesWindowShortcuts();
    void wholeTensorEditsAskOnce();
    void prefilledNumberIsSelected();
    void historyReadsAndCopiesAsCommand();
    void copyAndPasteTabSeparated();
    void fitsSmallScreen();
    void reinitializeNamesInitializer();
    void helpListsEveryShortcut();
    void changedFileWaitsForWriter();
    void buffersCountedApartAndShortNames();
    void gpt2Conv1DShownAsStored();
    void viewsFollowUndoAndTensor();
    void bigTensorShowsRefining();

private:
    QString copyFixture(const QString& rel);
    QString makeLayersFile();
    bool open(MainWindow& w, const QString& path);
    bool show(MainWindow& w, const QString& tensorName);
    std::vector<float> values(const MainWindow& w, const QString& name);
    QTemporaryDir m_dir;
    QTemporaryDir m_settingsDir;
    int m_copies = 0;
};

namespace {

// Runs \a f on the next modal dialog that shows up (polling); *seen says it did.
// Delete the returned timer to stop waiting.
QTimer* onNextModal(std::function<void(QWidget*)> f, bool* seen) {
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

QTimer* answerBox(QMessageBox::StandardButton button, bool dontAsk, bool* seen) {
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

} // namespace

void TestNeverSurprise::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
    QVERIFY(m_settingsDir.isValid());
    // Never the user's settings: every QSettings of this process lives in a temporary folder.
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    QVERIFY(settings().fileName().startsWith(m_settingsDir.path()));
}

void TestNeverSurprise::init() {
    settings().clear();
    settings().sync();
}

QString TestNeverSurprise::copyFixture(const QString& rel) {
    const QString source = wstest::fixture(rel);
    const QString target =
        m_dir.filePath(QStringLiteral("%1_%2").arg(++m_copies).arg(QFileInfo(rel).fileName()));
    if (!QFile::copy(source, target)) return QString();
    QFile::setPermissions(target, QFile::ReadOwner | QFile::WriteOwner);
    return target;
}

// A state dict with a Linear, a LayerNorm, an Embedding and a BatchNorm1d (buffers).
QString TestNeverSurprise::makeLayersFile() {
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

bool TestNeverSurprise::open(MainWindow& w, const QString& path) {
    w.show();
    QApplication::setActiveWindow(&w);
    if (!QTest::qWaitForWindowActive(&w)) return false;
    QSignalSpy loaded(&w, &MainWindow::fileLoaded);
    QSignalSpy shown(&w, &MainWindow::tensorShown);
    if (!w.openFile(path) || !loaded.wait(10000)) return false;
    return shown.count() > 0 || shown.wait(10000);
}

bool TestNeverSurprise::show(MainWindow& w, const QString& tensorName) {
    const int index = w.weightFile()->indexOf(tensorName);
    if (index < 0) return false;
    if (w.shownTensor() == index) return true;
    QSignalSpy shown(&w, &MainWindow::tensorShown);
    w.layerTree()->selectTensor(index);
    return (shown.count() > 0 || shown.wait(10000)) && w.shownTensor() == index;
}

std::vector<float> TestNeverSurprise::values(const MainWindow& w, const QString& name) {
    const TensorPtr t = w.weightFile()->find(name);
    std::vector<float> v(t ? size_t(t->numel()) : 0);
    if (t && !t->readFloats(0, t->numel(), v.data(), nullptr)) v.clear();
    return v;
}

void TestNeverSurprise::filterBoxLeavesWindowShortcuts() {
    MainWindow w;
    QVERIFY(open(w, copyFixture(QStringLiteral("pytorch/mlp_state_dict.pt"))));
    QVERIFY(show(w, QStringLiteral("0.weight")));
    const std::vector<float> before = values(w, QStringLiteral("0.weight"));
    QLineEdit* filter = w.layerTree()->filterEdit();
    filter->setFocus();
    QTRY_VERIFY(filter->hasFocus());
    QTest::keyClicks(filter, QStringLiteral("0."));
    QCOMPARE(filter->text(), QStringLiteral("0."));
    QCOMPARE(w.shownTensor(), w.weightFile()->indexOf(QStringLiteral("0.weight")));

    // Ctrl+E means nothing in a filter: the window's Export dialog opens.
    bool exportSeen = false;
    QString dialogClass;
    onNextModal(
        [&dialogClass](QWidget* d) {
            dialogClass = QString::fromLatin1(d->metaObject()->className());
            qobject_cast<QDialog*>(d)->reject();
        },
        &exportSeen);
    QTest::keyClick(filter, Qt::Key_E, Qt::ControlModifier);
    QTRY_VERIFY(exportSeen);
    QCOMPARE(dialogClass, QStringLiteral("ws::ExportDialog"));
    QCOMPARE(filter->text(), QStringLiteral("0."));

    // A whole-tensor "Set to zero" from the toolbar (focus stays in the filter).
    settings().setValue(QStringLiteral("confirm/wholeTensorEdits"), false);
    QApplication::setActiveWindow(&w); // back from the dialog
    QVERIFY(QTest::qWaitForWindowActive(&w));
    filter->setFocus();
    QTRY_VERIFY(filter->hasFocus());
    QVERIFY(w.zeroAction()->isEnabled());
    w.zeroAction()->trigger();
    QCOMPARE(values(w, QStringLiteral("0.weight")), std::vector<float>(before.size(), 0.0f));
    QUndoStack* stack = w.document()->undoStack();
    QCOMPARE(stack->index(), 1);
    QVERIFY(filter->hasFocus());

    // Ctrl+Z first undoes the filter text (the box has something to undo) ...
    QVERIFY(filter->isUndoAvailable());
    QTest::keyClick(filter, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(filter->text(), QString());
    QCOMPARE(stack->index(), 1);
    // ... then, with nothing left to undo there, the document.
    QVERIFY(!filter->isUndoAvailable());
    QTest::keyClick(filter, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(stack->index(), 0);
    QCOMPARE(values(w, QStringLiteral("0.weight")), before);
    // Redo: the box can redo its text first, then the document redoes the edit.
    QVERIFY(filter->isRedoAvailable());
    QTest::keyClick(filter, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(filter->text(), QStringLiteral("0."));
    QCOMPARE(stack->index(), 0);
    QVERIFY(!filter->isRedoAvailable());
    QTest::keyClick(filter, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(stack->index(), 1);
    QCOMPARE(values(w, QStringLiteral("0.weight")), std::vector<float>(before.size(), 0.0f));
    // Editing keys stay in the box: Ctrl+A selects its text.
    QTest::keyClick(filter, Qt::Key_A, Qt::ControlModifier);
    QCOMPARE(filter->selectedText(), QStringLiteral("0."));
}

void TestNeverSurprise::wholeTensorEditsAskOnce() {
    MainWindow w;
    QVERIFY(open(w, copyFixture(QStringLiteral("pytorch/mlp_state_dict.pt"))));
    QVERIFY(show(w, QStringLiteral("0.weight")));
    const std::vector<float> before = values(w, QStringLiteral("0.weight"));
    QUndoStack* stack = w.document()->undoStack();
    const QString key = QStringLiteral("confirm/wholeTensorEdits");

    // Cancel: nothing changes.
    bool seen = false;
    answerBox(QMessageBox::Cancel, false, &seen);
    w.zeroAction()->trigger();
    QVERIFY(seen);
    QCOMPARE(values(w, QStringLiteral("0.weight")), before);
    QCOMPARE(stack->count(), 0);
    QVERIFY(settings().value(key, true).toBool());

    // OK without "don't ask again": it changes, and asks the next time.
    seen = false;
    answerBox(QMessageBox::Ok, false, &seen);
    w.zeroAction()->trigger();
    QVERIFY(seen);
    QCOMPARE(values(w, QStringLiteral("0.weight")), std::vector<float>(before.size(), 0.0f));
    stack->undo();
    seen = false;
    answerBox(QMessageBox::Ok, true, &seen); // don't ask again
    w.zeroAction()->trigger();
    QVERIFY(seen);
    QCOMPARE(stack->index(), 1);
    QCOMPARE(settings().value(key, true).toBool(), false);
    stack->undo();
    // Not asked any more: the setting is kept.
    seen = false;
    QTimer* waiting = answerBox(QMessageBox::Cancel, false, &seen);
    w.zeroAction()->trigger();
    QTest::qWait(100);
    QVERIFY(!seen);
    delete waiting;
    QCOMPARE(values(w, QStringLiteral("0.weight")), std::vector<float>(before.size(), 0.0f));
    QVERIFY(QApplication::activeModalWidget() == nullptr);
    stack->undo();

    // Asking again: a selection, or a one-row tensor, is not "the whole tensor".
    settings().setValue(key, true);
    w.setSelection(0, 0, 2, 4);
    w.zeroAction()->trigger();
    QCOMPARE(stack->index(), 1);
    QCOMPARE(values(w, QStringLiteral("0.weight"))[0], 0.0f);
    QCOMPARE(values(w, QStringLiteral("0.weight"))[8], before[8]);
    QVERIFY(show(w, QStringLiteral("0.bias")));
    w.zeroAction()->trigger();
    QCOMPARE(stack->index(), 2);
    QCOMPARE(values(w, QStringLiteral("0.bias")), std::vector<float>(8, 0.0f));
}

void TestNeverSurprise::prefilledNumberIsSelected() {
    MainWindow w;
    QVERIFY(open(w, copyFixture(QStringLiteral("pytorch/mlp_state_dict.pt"))));
    QVERIFY(show(w, QStringLiteral("0.weight")));
    const std::vector<float> before = values(w, QStringLiteral("0.weight"));
    w.setSelection(0, 0, 1, 4);
    QAction* multiply = nullptr;
    for (QAction* a : w.findChildren<QAction*>())
        if (a->text() == QStringLiteral("&Multiply…")) multiply = a;
    QVERIFY(multiply);
    bool seen = false;
    QString selected, typed;
    onNextModal(
        [&](QWidget* d) {
            auto* edit = d->findChild<QLineEdit*>();
            selected = edit->selectedText();
            QTest::keyClicks(edit, QStringLiteral("2"));
            typed = edit->text();
            QTest::keyClick(edit, Qt::Key_Return);
        },
        &seen);
    multiply->trigger();
    QVERIFY(seen);
    QCOMPARE(selected, QStringLiteral("1"));
    QCOMPARE(typed, QStringLiteral("2")); // not "12"
    const std::vector<float> after = values(w, QStringLiteral("0.weight"));
    for (int i = 0; i < 4; ++i)
        QCOMPARE(after[size_t(i)], before[size_t(i)] * 2.0f);
    QCOMPARE(after[4], before[4]);
}

void TestNeverSurprise::historyReadsAndCopiesAsCommand() {
    MainWindow w;
    const QString path = copyFixture(QStringLiteral("pytorch/mlp_state_dict.pt"));
    QVERIFY(open(w, path));
    QVERIFY(show(w, QStringLiteral("0.weight")));
    settings().setValue(QStringLiteral("confirm/wholeTensorEdits"), false);
    w.setSelection(0, 0, 5, 4);
    QVERIFY(w.applyOperation(EditOperation::multiply(2)));
    w.setSelection(1, 2, 1, 1);
    QVERIFY(w.applyOperation(EditOperation::set(0.25)));
    w.setSelection(0, 1, 8, 2);
    QVERIFY(w.applyOperation(EditOperation::add(-0.125)));
    QVERIFY(show(w, QStringLiteral("2.weight")));
    QVERIFY(w.applyOperation(EditOperation::set(3)));
    QVERIFY(show(w, QStringLiteral("0.bias")));
    QVERIFY(w.applyOperation(EditOperation::multiply(-1.5)));
    // An undone step is not part of the history that is copied.
    QVERIFY(w.applyOperation(EditOperation::set(7)));
    w.document()->undoStack()->undo();

    // Each step with its region, as an expression.
    QAbstractItemModel* m = w.undoView()->model();
    QCOMPARE(m->rowCount(), 7); // "<opened file>" and six steps
    QCOMPARE(m->index(1, 0).data().toString(), QStringLiteral("0.weight[0:5] *= 2"));
    QCOMPARE(m->index(3, 0).data().toString(), QStringLiteral("0.weight[:, 1:3] += -0.125"));
    QCOMPARE(m->index(5, 0).data().toString(), QStringLiteral("0.bias *= -1.5"));

    // The copied command line, run as it is, reproduces every tensor of the document.
    QGuiApplication::clipboard()->clear();
    w.copyHistoryAction()->trigger();
    const QString command = QGuiApplication::clipboard()->text();
    QCOMPARE(command, w.historyCommand());
    QVERIFY2(command.startsWith(QStringLiteral("weightscope edit '%1' -o '").arg(path)),
             qPrintable(command));
    QVERIFY2(command.contains(QStringLiteral("'0.weight[1, 2] = 0.25'")), qPrintable(command));
    QVERIFY(!command.contains(QStringLiteral("= 7")));
    const QString out = QFileInfo(path).path() + QLatin1Char('/') +
                        QFileInfo(path).completeBaseName() + QStringLiteral("_edited.pt");
    QVERIFY(!QFile::exists(out));
    QString shellCommand = command;
    shellCommand.replace(0, int(qstrlen("weightscope")), wstest::env("WS_BINARY"));
    const wstest::RunResult run =
        wstest::runProcess(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), shellCommand});
    QVERIFY2(run.code == 0, qPrintable(run.err + run.out));
    QString error;
    std::unique_ptr<WeightFile> edited = openWeightFile(out, &error);
    QVERIFY2(edited, qPrintable(error));
    QCOMPARE(edited->tensors.size(), w.weightFile()->tensors.size());
    for (const TensorPtr& t : edited->tensors) {
        std::vector<float> v(size_t(t->numel()));
        QVERIFY(t->readFloats(0, t->numel(), v.data(), &error));
        QCOMPARE(v, values(w, t->name));
    }

    // A step the language cannot write is listed as a comment, not silently dropped.
    QVERIFY(w.applyOperation(EditOperation::clamp(-1, 1)));
    int skipped = 0;
    const QString withClamp = w.historyCommand(&skipped);
    QCOMPARE(skipped, 1);
    QVERIFY2(withClamp.contains(QStringLiteral("\n# not expressible, step 6: 0.bias: clamp")),
             qPrintable(withClamp));
}

void TestNeverSurprise::copyAndPasteTabSeparated() {
    MainWindow w;
    QVERIFY(open(w, copyFixture(QStringLiteral("pytorch/mlp_state_dict.pt"))));
    QVERIFY(show(w, QStringLiteral("0.weight")));
    const TensorPtr t = w.weightFile()->find(QStringLiteral("0.weight"));
    const std::vector<float> before = values(w, QStringLiteral("0.weight"));
    // Ctrl+C with the heatmap focused copies the selection's exact values.
    w.setSelection(1, 1, 2, 3);
    w.tensorView()->heatmap()->setFocus();
    QTRY_VERIFY(w.tensorView()->heatmap()->hasFocus());
    QGuiApplication::clipboard()->clear();
    QTest::keyClick(w.tensorView()->heatmap(), Qt::Key_C, Qt::ControlModifier);
    QString expected;
    for (int r = 1; r <= 2; ++r) {
        for (int c = 1; c <= 3; ++c)
            expected += t->elementText(r * 4 + c) + (c < 3 ? QStringLiteral("\t") : QString());
        expected += QLatin1Char('\n');
    }
    QCOMPARE(QGuiApplication::clipboard()->text(), expected);
    // The same from the cell table.
    w.cellTable()->setFocus();
    QTRY_VERIFY(w.cellTable()->hasFocus());
    QGuiApplication::clipboard()->clear();
    QTest::keyClick(w.cellTable(), Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(QGuiApplication::clipboard()->text(), expected);
    // The copied text parses back to the same floats (exact).
    const QStringList first = expected.split(QLatin1Char('\n')).first().split(QLatin1Char('\t'));
    QCOMPARE(first.first().toFloat(), before[5]);

    // Ctrl+V pastes a block at the selection's top-left cell: one undo step.
    QUndoStack* stack = w.document()->undoStack();
    w.setSelection(5, 1, 1, 1);
    QGuiApplication::clipboard()->setText(QStringLiteral("1\t2.5\n-3\t1e-3\r\n4\t5\n"));
    QTest::keyClick(w.tensorView()->heatmap(), Qt::Key_V, Qt::ControlModifier);
    QCOMPARE(stack->index(), 1);
    std::vector<float> after = values(w, QStringLiteral("0.weight"));
    QCOMPARE(after[5 * 4 + 1], 1.0f);
    QCOMPARE(after[5 * 4 + 2], 2.5f);
    QCOMPARE(after[6 * 4 + 1], -3.0f);
    QCOMPARE(after[6 * 4 + 2], 1e-3f);
    QCOMPARE(after[7 * 4 + 1], 4.0f);
    QCOMPARE(after[7 * 4 + 2], 5.0f);
    QCOMPARE(after[0], before[0]);
    QCOMPARE(after[5 * 4 + 3], before[5 * 4 + 3]);
    stack->undo();
    QCOMPARE(values(w, QStringLiteral("0.weight")), before);

    // Refusals change nothing and say why.
    w.setSelection(0, 0, 1, 1);
    QVERIFY(!w.pasteValues(QStringLiteral("1\t2\n3\tabc\n")));
    QVERIFY2(w.statusBar()->currentMessage().contains(QStringLiteral("'abc'")),
             qPrintable(w.statusBar()->currentMessage()));
    QVERIFY(!w.pasteValues(QStringLiteral("1\t2\n3\n")));
    w.setSelection(7, 3, 1, 1);
    QVERIFY(!w.pasteValues(QStringLiteral("1\t2\n")));
    QVERIFY2(w.statusBar()->currentMessage().contains(QStringLiteral("do not fit")),
             qPrintable(w.statusBar()->currentMessage()));
    QCOMPARE(stack->index(), 0);
    QCOMPARE(stack->count(), 1); // the undone paste, still redoable
    QCOMPARE(values(w, QStringLiteral("0.weight")), before);
}

void TestNeverSurprise::fitsSmallScreen() {
    MainWindow w;
    QVERIFY2(w.minimumSizeHint().height() < 700,
             qPrintable(QString::number(w.minimumSizeHint().height())));
    QVERIFY2(w.minimumSizeHint().width() <= 1366,
             qPrintable(QString::number(w.minimumSizeHint().width())));
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.resize(1366, 740);
    QTRY_COMPARE(w.size(), QSize(1366, 740));
    QVERIFY(open(w, copyFixture(QStringLiteral("pytorch/mlp_state_dict.pt"))));
    QTest::qWait(50);
    QCOMPARE(w.size(), QSize(1366, 740));
    QVERIFY(w.minimumSizeHint().height() < 700);
    // Opening every panel never makes the window grow.
    for (QDockWidget* d : w.findChildren<QDockWidget*>()) {
        d->show();
        d->raise();
        QTest::qWait(20);
        QCOMPARE(w.size(), QSize(1366, 740));
        QVERIFY2(w.minimumSizeHint().height() < 700, qPrintable(d->objectName()));
    }
}

void TestNeverSurprise::reinitializeNamesInitializer() {
    const QString path = makeLayersFile();
    QVERIFY(!path.isEmpty());
    MainWindow w;
    QVERIFY(open(w, path));
    auto init = [&w](const char* name) {
        return w.initializerName(w.weightFile()->indexOf(QString::fromLatin1(name)));
    };
    QCOMPARE(init("lin.weight"), QStringLiteral("kaiming_uniform(a=√5)"));
    QCOMPARE(init("lin.bias"), QStringLiteral("uniform(±1/√fan_in)"));
    QCOMPARE(init("embed.weight"), QStringLiteral("normal(0, 1)"));
    QCOMPARE(init("ln.weight"), QString());
    QCOMPARE(init("ln.bias"), QString());
    QCOMPARE(init("bn.weight"), QString());
    QCOMPARE(init("bn.running_mean"), QString());

    QVERIFY(show(w, QStringLiteral("ln.weight")));
    QVERIFY(!w.reinitAction()->isEnabled());
    QVERIFY(show(w, QStringLiteral("lin.weight")));
    QVERIFY(w.reinitAction()->isEnabled());
    QVERIFY(w.reinitAction()->text().contains(QStringLiteral("kaiming_uniform(a=√5)")));
    // The question names the initializer too.
    bool seen = false;
    QString question;
    onNextModal(
        [&question](QWidget* d) {
            auto* box = qobject_cast<QMessageBox*>(d);
            question = box->text();
            box->button(QMessageBox::Ok)->click();
        },
        &seen);
    w.reinitAction()->trigger();
    QVERIFY(seen);
    QVERIFY2(question.contains(QStringLiteral("kaiming_uniform(a=√5)")), qPrintable(question));
    const float bound = 1.0f / std::sqrt(16.0f);
    const std::vector<float> lin = values(w, QStringLiteral("lin.weight"));
    for (float v : lin)
        QVERIFY(std::abs(v) <= bound);
    settings().setValue(QStringLiteral("confirm/wholeTensorEdits"), false);
    QVERIFY(show(w, QStringLiteral("embed.weight")));
    QVERIFY(w.reinitAction()->text().contains(QStringLiteral("normal(0, 1)")));
    const std::vector<float> oldEmbed = values(w, QStringLiteral("embed.weight"));
    QVERIFY(w.reinitialize());
    const std::vector<float> embed = values(w, QStringLiteral("embed.weight"));
    QVERIFY(embed != oldEmbed);
    double sum = 0, sq = 0, maxAbs = 0;
    for (float v : embed) {
        sum += v;
        sq += double(v) * v;
        maxAbs = std::max(maxAbs, double(std::abs(v)));
    }
    const double mean = sum / double(embed.size());
    const double sd = std::sqrt(sq / double(embed.size()) - mean * mean);
    QVERIFY2(std::abs(mean) < 0.1 && sd > 0.9 && sd < 1.1 && maxAbs > 2.5,
             qPrintable(QStringLiteral("mean %1 sd %2 max %3").arg(mean).arg(sd).arg(maxAbs)));
    // Refused where undefined, even when called directly.
    QVERIFY(show(w, QStringLiteral("ln.bias")));
    QVERIFY(!w.reinitialize());
}

void TestNeverSurprise::helpListsEveryShortcut() {
    MainWindow w;
    const QString help = w.shortcutsText();
    int checked = 0;
    for (QAction* a : w.findChildren<QAction*>()) {
        if (a->shortcut().isEmpty()) continue;
        const QString text = a->text().remove(QLatin1Char('&'));
        QVERIFY2(help.contains(text), qPrintable(text));
        // Every key of the action, on the action's own line.
        QString keysShown;
        for (const QString& line : help.split(QLatin1Char('\n')))
            if (line.section(QLatin1Char('\t'), 1).endsWith(QStringLiteral("› ") + text))
                keysShown = line.section(QLatin1Char('\t'), 0, 0);
        QVERIFY2(!keysShown.isEmpty(), qPrintable(text));
        for (const QKeySequence& k : a->shortcuts())
            QVERIFY2(keysShown.split(QStringLiteral(", "))
                         .contains(k.toString(QKeySequence::NativeText)),
                     qPrintable(text + QStringLiteral(": ") + keysShown));
        ++checked;
    }
    QVERIFY2(checked >= 12, qPrintable(QString::number(checked)));
    for (const char* key : {"Ctrl+E", "Ctrl+Z", "Ctrl+C", "Ctrl+V", "Ctrl+O", "Ctrl+S"})
        QVERIFY2(help.contains(QLatin1String(key)), key);
}

void TestNeverSurprise::changedFileWaitsForWriter() {
    MainWindow::setChangePollInterval(24 * 3600 * 1000); // the test polls by hand
    MainWindow w;
    const QString path = copyFixture(QStringLiteral("pytorch/mlp_state_dict.pt"));
    QVERIFY(open(w, path));
    QFile f(path);
    QVERIFY(f.open(QIODevice::Append));
    f.write(QByteArray(1000, 'x'));
    f.flush();
    auto box = [&w] {
        for (QMessageBox* b : w.findChildren<QMessageBox*>())
            if (b->isVisible()) return b;
        return static_cast<QMessageBox*>(nullptr);
    };
    w.pollChangedFile(); // first look at the size
    QVERIFY(!box());
    f.write(QByteArray(1000, 'y')); // still writing
    f.flush();
    w.pollChangedFile();
    QVERIFY(!box());
    f.close();
    w.pollChangedFile(); // the same as last time: the writer is done
    QTRY_VERIFY(box());
    QVERIFY(box()->text().contains(QStringLiteral("changed by another program")));
    box()->button(QMessageBox::Ignore)->click();
    MainWindow::setChangePollInterval(300);
}

void TestNeverSurprise::buffersCountedApartAndShortNames() {
    {
        const QString path = makeLayersFile();
        QVERIFY(!path.isEmpty());
        MainWindow w;
        QVERIFY(open(w, path));
        // lin 16x6 + 6, ln 6 + 6, embed 200x16, bn 6 + 6: parameters; bn's running_mean,
        // running_var and num_batches_tracked (6 + 6 + 1) are buffers, as in PyTorch.
        QVERIFY2(w.fileInfoText().endsWith(QStringLiteral("· 3326 parameters · 13 buffer values")),
                 qPrintable(w.fileInfoText()));
        LayerTreeModel* m = w.layerTree()->model();
        const QModelIndex root = m->index(0, LayerTreeModel::ParamsColumn);
        QCOMPARE(root.data().toString(), QStringLiteral("3326"));
        const QModelIndex bnWeight =
            m->indexOfTensor(w.weightFile()->indexOf(QStringLiteral("bn.weight")));
        const QModelIndex bn = m->index(bnWeight.parent().row(), LayerTreeModel::ParamsColumn,
                                        bnWeight.parent().parent());
        QCOMPARE(bn.data().toString(), QStringLiteral("12"));
        QCOMPARE(bn.data(Qt::ToolTipRole).toString(),
                 QStringLiteral("12 parameters, 13 buffer values"));
    }
    // Keras: short names in the tree, the full path in the tooltip; a kernel shown
    // (out, in) is a view of itself, never "shared storage" with itself.
    MainWindow w;
    QVERIFY(open(w, copyFixture(QStringLiteral("hdf5/keras2_model.h5"))));
    const int kernel =
        w.weightFile()->indexOf(QStringLiteral("model_weights/dense/dense/kernel:0"));
    QVERIFY2(kernel >= 0, qPrintable(w.weightFile()->tensors[0]->name));
    const QModelIndex item = w.layerTree()->model()->indexOfTensor(kernel);
    QCOMPARE(item.data().toString(), QStringLiteral("kernel:0"));
    QCOMPARE(item.data(Qt::ToolTipRole).toString(),
             QStringLiteral("model_weights/dense/dense/kernel:0"));
    QVERIFY(show(w, QStringLiteral("model_weights/dense/dense/kernel:0")));
    QTRY_VERIFY(!w.statsPanel()->value(QStringLiteral("linked")).isEmpty());
    QCOMPARE(w.statsPanel()->value(QStringLiteral("linked")), QStringLiteral("none"));
    // Keras's moving statistics are buffers too.
    QVERIFY2(w.fileInfoText().contains(QStringLiteral("· 10 buffer values")),
             qPrintable(w.fileInfoText()));
}

void TestNeverSurprise::gpt2Conv1DShownAsStored() {
    // transformers' GPT-2 blocks: Conv1D weights stored (in, out); attn.c_proj is square.
    const QString path = m_dir.filePath(QStringLiteral("gpt2_like.pt"));
    const QString script = QStringLiteral(
        "import sys, torch\n"
        "sd = {}\n"
        "for name, i, o in [('attn.c_attn', 8, 24), ('attn.c_proj', 8, 8), ('mlp.c_fc', 8, 32),\n"
        "                   ('mlp.c_proj', 32, 8)]:\n"
        "    sd['h.0.%s.weight' % name] = torch.randn(i, o)\n"
        "    sd['h.0.%s.bias' % name] = torch.randn(o)\n"
        "torch.save(sd, sys.argv[1])\n");
    QString out;
    QVERIFY2(wstest::runPython({QStringLiteral("-c"), script, path}, &out) == 0, qPrintable(out));
    MainWindow w;
    QVERIFY(open(w, path));
    for (const char* name :
         {"h.0.attn.c_attn", "h.0.attn.c_proj", "h.0.mlp.c_fc", "h.0.mlp.c_proj"})
        QCOMPARE(
            layerKindOf(*w.weightFile(), QString::fromLatin1(name) + QStringLiteral(".weight")),
            QStringLiteral("Conv1D"));
    QVERIFY(show(w, QStringLiteral("h.0.attn.c_attn.weight")));
    HeatmapWidget* h = w.tensorView()->heatmap();
    // Shown as stored: 8 rows (inputs) x 24 columns (outputs), labelled so.
    const TensorPtr cAttn = w.weightFile()->find(QStringLiteral("h.0.attn.c_attn.weight"));
    QVERIFY2(h->readoutAt(7, 23).startsWith(QStringLiteral("row 7, column 23: ") +
                                            cAttn->elementText(7 * 24 + 23)),
             qPrintable(h->readoutAt(7, 23)));
    QCOMPARE(h->yAxis->label(), QStringLiteral("input features"));
    QCOMPARE(h->xAxis->label(), QStringLiteral("output features"));
    QVERIFY(show(w, QStringLiteral("h.0.attn.c_proj.weight")));
    QCOMPARE(h->yAxis->label(), QStringLiteral("input features"));
    // The export's default labels say the same.
    QString x, y;
    defaultAxisLabels(*w.weightFile()->find(QStringLiteral("h.0.attn.c_proj.weight")),
                      QStringLiteral("Conv1D"), &x, &y);
    QCOMPARE(x, QStringLiteral("out"));
    QCOMPARE(y, QStringLiteral("in"));
    // A Linear next to them is still (out, in).
    const QString lin = makeLayersFile();
    QVERIFY(open(w, lin));
    QVERIFY(show(w, QStringLiteral("lin.weight")));
    QCOMPARE(h->xAxis->label(), QStringLiteral("input features"));
    QCOMPARE(h->yAxis->label(), QStringLiteral("output features"));
}

void TestNeverSurprise::viewsFollowUndoAndTensor() {
    MainWindow w;
    QVERIFY(open(w, copyFixture(QStringLiteral("pytorch/mlp_state_dict.pt"))));
    QVERIFY(show(w, QStringLiteral("0.weight")));
    HeatmapWidget* h = w.tensorView()->heatmap();
    const QCPRange before = h->colorRange();
    // The colour range follows an edit, its undo and its redo.
    w.setSelection(2, 1, 1, 1);
    QVERIFY(w.applyOperation(EditOperation::set(100)));
    QTRY_VERIFY(h->colorRange().upper >= 100);
    w.document()->undoStack()->undo();
    QTRY_COMPARE(h->colorRange().upper, before.upper);
    QCOMPARE(h->colorRange().lower, before.lower);
    w.document()->undoStack()->redo();
    QTRY_VERIFY(h->colorRange().upper >= 100);
    w.document()->undoStack()->undo();

    // The spectrum of a matrix, then a 1-D tensor: no spectrum, nothing stale.
    w.spectrumDock()->show();
    w.spectrumDock()->raise();
    w.clearSelection();
    QTRY_VERIFY(!w.spectrum()->plot()->graph(0)->data()->isEmpty());
    QVERIFY(show(w, QStringLiteral("0.bias")));
    QTRY_VERIFY(w.spectrum()->plot()->graph(0)->data()->isEmpty());
    QCOMPARE(w.statsPanel()->value(QStringLiteral("shape")), QStringLiteral("[8]"));
    // The histogram is 0.bias's.
    w.histogramDock()->raise();
    auto* title = qobject_cast<QCPTextElement*>(w.histogram()->plotLayout()->element(0, 0));
    QVERIFY(title);
    QTRY_COMPARE(title->text(), QStringLiteral("0.bias (8 values)"));
}

void TestNeverSurprise::bigTensorShowsRefining() {
    // 2048 x 4096 floats: more than the heatmap draws at once.
    const QString path = m_dir.filePath(QStringLiteral("big.npy"));
    QString out;
    QVERIFY2(wstest::runPython({QStringLiteral("-c"),
                                QStringLiteral("import sys, numpy as np\n"
                                               "np.save(sys.argv[1], np.random.default_rng(0)"
                                               ".standard_normal((2048, 4096), np.float32))\n"),
                                path},
                               &out) == 0,
             qPrintable(out));
    MainWindow w;
    bool refiningWhenShown = false;
    connect(&w, &MainWindow::tensorShown, &w,
            [&] { refiningWhenShown = w.tensorView()->heatmap()->isRefining(); });
    QSignalSpy refined(w.tensorView()->heatmap(), &HeatmapWidget::refined);
    QVERIFY(open(w, path));
    // A coarse preview first, marked as refining; then the full view.
    QVERIFY(refiningWhenShown);
    QVERIFY(refined.count() > 0 || refined.wait(60000));
    QVERIFY(!w.tensorView()->heatmap()->isRefining());
}

QTEST_MAIN(TestNeverSurprise)
#include "tst_neversurprise.moc"
