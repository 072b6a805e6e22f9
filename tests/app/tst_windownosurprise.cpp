// The main window never surprises (issue 16): it fits 1366 x 768 and never grows
// when a panel opens, Re-initialize names its initializer and is offered only where
// PyTorch defines one, Help lists every shortcut, the file-changed question waits for
// the other writer, buffers are counted apart from parameters, Keras names are short,
// GPT-2's Conv1D is shown as stored, views follow undo and never show a stale tensor,
// and a big tensor shows its coarse preview as refining.
#include "MainWindowFixture.h"

using namespace ws;
using namespace wstest;

class TestWindowNeverSurprises : public MainWindowFixture {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { setUpCase(); }
    void init() { resetSettings(); }
    void fitsSmallScreen();
    void reinitializeNamesInitializer();
    void helpListsEveryShortcut();
    void changedFileWaitsForWriter();
    void buffersCountedApartAndShortNames();
    void gpt2Conv1DShownAsStored();
    void viewsFollowUndoAndTensor();
    void bigTensorShowsRefining();
};

void TestWindowNeverSurprises::fitsSmallScreen() {
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

void TestWindowNeverSurprises::reinitializeNamesInitializer() {
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

void TestWindowNeverSurprises::helpListsEveryShortcut() {
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

void TestWindowNeverSurprises::changedFileWaitsForWriter() {
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

void TestWindowNeverSurprises::buffersCountedApartAndShortNames() {
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

void TestWindowNeverSurprises::gpt2Conv1DShownAsStored() {
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

void TestWindowNeverSurprises::viewsFollowUndoAndTensor() {
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

void TestWindowNeverSurprises::bigTensorShowsRefining() {
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

QTEST_MAIN(TestWindowNeverSurprises)
#include "tst_windownosurprise.moc"
