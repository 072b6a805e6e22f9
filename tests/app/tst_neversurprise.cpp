// The main window never loses work (issue 16): shortcuts reach the window from the
// filter box, whole-tensor edits ask first (with "don't ask again" in test-local
// settings), pre-filled numbers are selected, the history reads as expressions and
// copies as a `weightscope edit` command that reproduces the document, and blocks of
// tab-separated values copy and paste as one undo step.
#include "MainWindowFixture.h"

using namespace ws;
using namespace wstest;

class TestNeverSurprise : public MainWindowFixture {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { setUpCase(); }
    void init() { resetSettings(); }
    void filterBoxLeavesWindowShortcuts();
    void wholeTensorEditsAskOnce();
    void prefilledNumberIsSelected();
    void historyReadsAndCopiesAsCommand();
    void copyAndPasteTabSeparated();
};

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
    // Each step also says what it keeps for undo: the old values of its region (float32).
    QCOMPARE(m->index(1, 0).data().toString(), QStringLiteral("0.weight[0:5] *= 2   (holds 80 B)"));
    QCOMPARE(m->index(3, 0).data().toString(),
             QStringLiteral("0.weight[:, 1:3] += -0.125   (holds 64 B)"));
    QCOMPARE(m->index(5, 0).data().toString(), QStringLiteral("0.bias *= -1.5   (holds 32 B)"));

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

QTEST_MAIN(TestNeverSurprise)
#include "tst_neversurprise.moc"
