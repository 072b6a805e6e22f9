// Main window: docks, menus, asynchronous file and tensor loading.
#include "MainWindow.h"
#include "TensorPermute.h"

#include "CellTableView.h"
#include "ColorMap.h"
#include "FigureOptions.h"
#include "FileInfoPanel.h"
#include "FormatRegistry.h"
#include "HeatmapWidget.h"
#include "HttpTransfer.h"
#include "LayerTree.h"
#include "LayerTreeModel.h"
#include "LayerTreeView.h"
#include "StatsPanel.h"
#include "TensorView.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHash>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QStatusBar>
#include <QThread>
#include <QToolBar>
#include <QToolButton>
#include <QUndoGroup>
#include <QUndoView>
#include <QtConcurrent/QtConcurrentRun>

namespace ws {

namespace {

// The file's first tensor, or for a quantized layer's packed tensors the decoded
// weight they make (what a user opening an FP8 or GPTQ checkpoint wants to see).
int firstToShow(const WeightFile& f) {
    QHash<QString, int> decodedFrom;
    for (int i = 0; i < int(f.tensors.size()); ++i) {
        const Tensor& t = *f.tensors[size_t(i)];
        if (t.derived && t.encoding)
            for (const QString& s : t.encoding->sources())
                if (!decodedFrom.contains(s)) decodedFrom.insert(s, i);
    }
    return f.tensors.empty() ? 0 : decodedFrom.value(f.tensors.front()->name, 0);
}

constexpr int kMaxRecent = 10;

} // namespace

QSettings settings() {
    return QSettings(QStringLiteral("WeightScope"), QStringLiteral("WeightScope"));
}

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), m_session(new TensorSession(this)) {
    setWindowTitle(QStringLiteral("WeightScope"));
    setAcceptDrops(true);
    const QRect screen = QGuiApplication::primaryScreen()
                             ? QGuiApplication::primaryScreen()->availableGeometry()
                             : QRect(0, 0, 1600, 1000);
    resize(std::min(1600, screen.width() * 95 / 100), std::min(1000, screen.height() * 9 / 10));

    m_view = new TensorView(this);
    setCentralWidget(m_view);

    m_tree = new LayerTreeView(this);
    m_treeDock = new QDockWidget(tr("Layers"), this);
    m_treeDock->setObjectName(QStringLiteral("layersDock"));
    m_treeDock->setWidget(m_tree);
    addDockWidget(Qt::LeftDockWidgetArea, m_treeDock);

    m_stats = new StatsPanel(this);
    m_statsDock = new QDockWidget(tr("Statistics"), this);
    m_statsDock->setObjectName(QStringLiteral("statisticsDock"));
    // A long description (an encoding, shared storage) scrolls: the window never grows.
    auto* statsScroll = new QScrollArea(m_statsDock);
    statsScroll->setWidgetResizable(true);
    statsScroll->setFrameShape(QFrame::NoFrame);
    statsScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    statsScroll->setWidget(m_stats);
    m_statsDock->setWidget(statsScroll);
    addDockWidget(Qt::RightDockWidgetArea, m_statsDock);
    // The file's facts and metadata (a GGUF's architecture, heads, tokenizer), in a tab
    // behind the statistics.
    m_fileInfoPanel = new FileInfoPanel(this);
    m_fileInfoDock = new QDockWidget(tr("File Info"), this);
    m_fileInfoDock->setObjectName(QStringLiteral("fileInfoDock"));
    m_fileInfoDock->setWidget(m_fileInfoPanel);
    addDockWidget(Qt::RightDockWidgetArea, m_fileInfoDock);
    tabifyDockWidget(m_statsDock, m_fileInfoDock);
    m_statsDock->raise();
    // The side columns run the full height: the cell table below the heatmap then
    // takes its rows from the heatmap, not from the stacked side panels.
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
    createDocks();
    applyDefaultLayout();

    m_readout = new QLabel(this);
    m_readout->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_fileInfo = new QLabel(this);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 100);
    m_progress->setMaximumWidth(200);
    m_progress->setVisible(false);
    m_selectionLabel = new QLabel(this);
    statusBar()->addWidget(m_readout, 1);
    statusBar()->addPermanentWidget(m_selectionLabel);
    statusBar()->addPermanentWidget(m_fileInfo);
    statusBar()->addPermanentWidget(m_progress);
    m_transferLabel = new QLabel(this);
    m_transferLabel->setVisible(false);
    statusBar()->addPermanentWidget(m_transferLabel);
    auto* stop = new QToolButton(this);
    stop->setAutoRaise(true);
    m_stopTransfers = stop;
    m_stopTransfers->setText(tr("Stop"));
    m_stopTransfers->setToolTip(
        tr("Stop the requests to the server that are running now (the view keeps what "
           "arrived; scrolling or opening again fetches the rest)"));
    m_stopTransfers->setVisible(false);
    statusBar()->addPermanentWidget(m_stopTransfers);
    connect(m_stopTransfers, &QAbstractButton::clicked, this, [this] {
        cancelAllHttpTransfers();
        statusBar()->showMessage(tr("Stopped the transfers in flight"), 5000);
    });
    HttpOptions::setDiskCacheLimit(qint64(remoteCacheMiB()) << 20);
    m_transferTimer = new QTimer(this);
    m_transferTimer->setInterval(500);
    connect(m_transferTimer, &QTimer::timeout, this, &MainWindow::updateTransferLabel);

    connect(m_view, &TensorView::hoverText, m_readout, &QLabel::setText);
    connect(m_tree, &LayerTreeView::tensorSelected, this, &MainWindow::showTensor);
    createMenus();
    connectEditing();
    updateActions();

    QSettings s = settings();
    restoreGeometry(s.value(QStringLiteral("geometry")).toByteArray());
    restoreState(s.value(QStringLiteral("windowState")).toByteArray());
}

void MainWindow::applyDefaultLayout() {
    // Wide enough for "Linear — in 768 -> out 3072" next to the names; the cell
    // table shows several rows.
    resizeDocks({m_treeDock, m_statsDock}, {width() * 40 / 100, 320}, Qt::Horizontal);
    if (m_cellsDock) resizeDocks({m_cellsDock}, {height() / 4}, Qt::Vertical);
}

void MainWindow::showEvent(QShowEvent* event) {
    QMainWindow::showEvent(event);
    if (m_shownOnce) return;
    m_shownOnce = true;
    // Sizes given before the window first shows are squeezed by the first layout.
    if (!settings().contains(QStringLiteral("windowState")))
        QTimer::singleShot(0, this, &MainWindow::applyDefaultLayout);
}

MainWindow::~MainWindow() {
    // Workers post progress to this window; let them finish before it goes away (a
    // remote file being read stops at once rather than after its timeouts).
    if (!findChildren<QFutureWatcherBase*>().isEmpty()) cancelAllHttpTransfers();
    for (QFutureWatcherBase* w : findChildren<QFutureWatcherBase*>())
        w->waitForFinished();
    // The children outlive this class's part of the object: nothing they call back may
    // reach into it (the tree asks whether a tensor is edited while it is torn down).
    m_tree->model()->setEditedPredicate({});
    m_table->cellModel()->setTensor(nullptr, -1);
    m_session->closeDocument();
}

void MainWindow::createMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open…"), this, &MainWindow::openDialog);
    open->setShortcut(QKeySequence::Open);
    file->addAction(tr("Open &URL…"), this, &MainWindow::openUrlDialog);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    rebuildRecentMenu();
    file->addSeparator();
    m_saveAction = file->addAction(tr("&Save"), this, [this] { save(); });
    m_saveAction->setShortcut(QKeySequence::Save);
    m_saveAsAction = file->addAction(tr("Save &As…"), this, [this] { saveAs(); });
    // Some platforms define no Save As key; Ctrl+Shift+S is what users expect there.
    const QKeySequence saveAs(QKeySequence::SaveAs);
    m_saveAsAction->setShortcut(saveAs.isEmpty() ? QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S)
                                                 : saveAs);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    createEditMenu(menuBar()->addMenu(tr("&Edit")));
    createColorToolBar();

    QMenu* view = menuBar()->addMenu(tr("&View"));
    QAction* reset = view->addAction(tr("&Reset View"), m_view, &TensorView::resetView);
    reset->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    m_kerasAction = view->addAction(tr("Show &Keras Kernels as (out, in)"));
    m_kerasAction->setCheckable(true);
    m_kerasAction->setChecked(
        QSettings().value(QStringLiteral("view/kerasTransposed"), true).toBool());
    m_kerasAction->setToolTip(
        tr("Keras stores Dense kernels (in, out) and Conv kernels (kh, kw, in, "
           "out); show them as PyTorch does, (out, in, ...). Edits land in the "
           "right cells either way."));
    connect(m_kerasAction, &QAction::toggled, this, [this](bool on) {
        QSettings().setValue(QStringLiteral("view/kerasTransposed"), on);
        if (m_session->shownIndex() >= 0) showTensor(m_session->shownIndex());
    });
    m_diffAction = view->addAction(tr("Show &Difference from Original"));
    m_diffAction->setCheckable(true);
    m_diffAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    m_diffAction->setToolTip(tr("Show current − original values, centred at zero"));
    connect(m_diffAction, &QAction::toggled, this, &MainWindow::setDifferenceMode);
    connect(m_diffAction, &QAction::toggled, this, [this](bool on) {
        m_colorBar->setEnabled(!on && m_view->currentWidget() == m_view->heatmap());
    });
    view->addSeparator();
    view->addAction(m_treeDock->toggleViewAction());
    view->addAction(m_statsDock->toggleViewAction());
    view->addAction(m_fileInfoDock->toggleViewAction());
    view->addAction(m_cellsDock->toggleViewAction());
    view->addAction(m_historyDock->toggleViewAction());
    view->addAction(m_editBar->toggleViewAction());
    view->addAction(m_colorBar->toggleViewAction());
    createAnalysisActions(file, menuBar()->actions().at(1)->menu(), view);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* keys = help->addAction(tr("&Keyboard Shortcuts"), this, &MainWindow::showShortcuts);
    keys->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&About WeightScope"), this, [this] {
        QMessageBox::about(this, tr("About WeightScope"),
                           tr("WeightScope %1\nInspect the weights of neural-network files.")
                               .arg(QStringLiteral(WS_VERSION)));
    });
}

void MainWindow::createColorToolBar() {
    addToolBarBreak();
    m_colorBar = addToolBar(tr("Colours"));
    m_colorBar->setObjectName(QStringLiteral("colorToolBar"));
    m_colorBar->addWidget(new QLabel(tr(" Colour map: "), m_colorBar));
    m_colorMapBox = new QComboBox(m_colorBar);
    m_colorMapBox->addItem(tr("Automatic"), QString());
    for (const QString& name : ColorMap::names())
        m_colorMapBox->addItem(name, name);
    m_colorMapBox->setToolTip(tr("Automatic: diverging (red/blue) for signed data, "
                                 "viridis otherwise"));
    m_colorBar->addWidget(m_colorMapBox);
    HeatmapWidget* heatmap = m_view->heatmap();
    connect(m_colorMapBox, &QComboBox::currentIndexChanged, this, [this, heatmap] {
        const QString name = m_colorMapBox->currentData().toString();
        heatmap->setFixedColorMap(name);
        settings().setValue(QStringLiteral("colorMap"), name);
    });
    addScaleControls();
    QSettings s = settings();
    m_colorMapBox->setCurrentIndex(
        std::max(0, m_colorMapBox->findData(s.value(QStringLiteral("colorMap")).toString())));
    auto enable = [this] {
        m_colorBar->setEnabled(m_view->currentWidget() == m_view->heatmap() &&
                               !(m_diffAction && m_diffAction->isChecked()));
    };
    connect(m_view, &QStackedWidget::currentChanged, this, enable);
    enable();
}

QStringList MainWindow::recentFiles() {
    return settings().value(QStringLiteral("recentFiles")).toStringList();
}

void MainWindow::rebuildRecentMenu() {
    m_recentMenu->clear();
    const QStringList files = recentFiles();
    for (const QString& f : files) {
        QAction* a =
            m_recentMenu->addAction(QFileInfo(f).fileName(), this, [this, f] { openFile(f); });
        a->setToolTip(f);
        a->setStatusTip(f);
    }
    if (files.isEmpty()) m_recentMenu->addAction(tr("(none)"))->setEnabled(false);
    m_recentMenu->addSeparator();
    QAction* clearAction = m_recentMenu->addAction(tr("Clear List"), this, [this] {
        settings().remove(QStringLiteral("recentFiles"));
        rebuildRecentMenu();
    });
    clearAction->setEnabled(!files.isEmpty());
}

void MainWindow::addRecent(const QString& path) {
    const QString abs = isUrl(path) ? path : QFileInfo(path).absoluteFilePath();
    QStringList files = recentFiles();
    files.removeAll(abs);
    files.prepend(abs);
    while (files.size() > kMaxRecent)
        files.removeLast();
    QSettings s = settings();
    s.setValue(QStringLiteral("recentFiles"), files);
    if (!isUrl(path)) s.setValue(QStringLiteral("lastDirectory"), QFileInfo(abs).absolutePath());
}

void MainWindow::openDialog() {
    const QString dir = settings().value(QStringLiteral("lastDirectory")).toString();
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Open Weight File"), dir, openDialogFilter());
    if (!path.isEmpty()) openFile(path);
}

bool MainWindow::openFile(const QString& path) {
    if (path.isEmpty() || !maybeSave()) return false;
    const quint64 generation = ++m_openGeneration;
    m_progress->setValue(0);
    m_progress->setVisible(true);
    m_readout->setText(tr("Opening %1…").arg(QFileInfo(path).fileName()));
    if (isUrl(path)) updateTransferLabel(); // shows it and starts the timer

    auto* watcher = new QFutureWatcher<OpenResult>(this);
    connect(watcher, &QFutureWatcherBase::finished, this,
            [this, path, watcher, generation] { onOpenFinished(path, watcher, generation); });
    watcher->setFuture(QtConcurrent::run([this, path, generation] {
        OpenResult r;
        r.box = std::make_shared<FileBox>();
        int lastPercent = -1;
        auto progress = [this, generation, &lastPercent](double f) {
            const int percent = int(f * 100);
            if (percent == lastPercent) return;
            lastPercent = percent;
            QMetaObject::invokeMethod(
                this,
                [this, generation, percent] {
                    if (generation == m_openGeneration) m_progress->setValue(percent);
                },
                Qt::QueuedConnection);
        };
        r.box->file = openWeightFile(path, &r.error, progress);
        if (!r.box->file && r.error.isEmpty()) r.error = tr("unknown error");
        return r;
    }));
    return true;
}

void MainWindow::onOpenFinished(const QString& path, QFutureWatcher<OpenResult>* watcher,
                                quint64 generation) {
    watcher->deleteLater();
    if (generation != m_openGeneration) return; // a newer open superseded this one
    m_progress->setVisible(false);
    m_readout->clear();
    OpenResult r = watcher->result();
    if (!r.box->file) {
        const QString message = tr("Could not open %1:\n%2").arg(path, r.error);
        Q_EMIT loadFailed(r.error);
        auto* box = new QMessageBox(QMessageBox::Warning, tr("Cannot Open File"), message,
                                    QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
        return;
    }
    m_view->clear();
    m_stats->clear();
    setDocument(std::move(r.box->file));
    watchFile();
    m_tree->setWeightFile(m_session->file());
    const QString name = QFileInfo(path).fileName();
    updateTitle();
    const size_t n = m_session->file()->tensors.size();
    int64_t params = 0, buffers = 0;
    countParametersAndBuffers(*m_session->file(), &params, &buffers);
    QString info =
        QStringLiteral("%1 · %2 · %3")
            .arg(m_session->file()->formatName, n == 1 ? tr("1 tensor") : tr("%1 tensors").arg(n),
                 tr("%1 parameters").arg(formatCount(params)));
    if (buffers > 0)
        info += QStringLiteral(" · ") + tr("%1 buffer values").arg(formatCount(buffers));
    m_fileInfo->setText(info);
    m_fileInfo->setToolTip(tr("%1 parameters; buffers (running statistics) counted apart: %2")
                               .arg(QLocale::c().toString(qlonglong(params)))
                               .arg(QLocale::c().toString(qlonglong(buffers))));
    addRecent(path);
    Q_EMIT fileLoaded();
    if (m_session->file()->tensors.empty())
        m_view->showMessage(tr("%1 holds no tensors.").arg(name));
    else
        m_tree->selectTensor(firstToShow(*m_session->file())); // something to look at now
}

void MainWindow::showTensor(int index) {
    // Nothing is read here but the few bytes the first picture needs: the view reads
    // tiles from the file (refining large tensors in the background), statistics and
    // histograms stream on a worker.
    m_session->setPyTorchOrder(m_kerasAction && m_kerasAction->isChecked());
    if (!m_session->showTensor(index)) return;
    m_dirtyRow1 = m_dirtyCol1 = -1;
    m_refreshTimer->stop();
    m_statsTimer->stop();
    ++m_valuesGeneration;
    m_readWhole = false;
    m_table->cellModel()->setTensor(m_session->document().get(), index,
                                    m_session->order().empty() ? nullptr : m_session->displayed(),
                                    m_session->order());
    showDisplayed();
    showSelection();
    updateActions();
    refreshAnalysis();
    Q_EMIT tensorShown(index);
}

void MainWindow::showDisplayed() {
    const TensorPtr t = m_session->displayed();
    if (!t) return;
    QString error;
    if (!t->check(&error)) {
        m_view->showMessage(tr("Cannot show %1:\n%2").arg(t->name, error));
        m_stats->showError(*m_session->file(), t, error);
        return;
    }
    // GPT-2's Conv1D keeps its weight (in, out): shown as stored, labelled so.
    m_view->heatmap()->setStoredInOut(m_session->order().empty() && t->rank() == 2 &&
                                      layerKindOf(*m_session->file(), t->name) ==
                                          QLatin1String("Conv1D"));
    if (m_diffAction->isChecked()) {
        const TensorPtr original =
            m_session->document()
                ? m_session->document()->originalView(m_session->shownIndex(), *t, &error)
                : nullptr;
        if (!original) {
            statusBar()->showMessage(tr("Cannot show differences: %1").arg(error), 8000);
            m_diffAction->setChecked(false); // shows the values
            return;
        }
        m_view->setDifferenceMode(true);
        m_view->setDifference(t, original);
    } else {
        m_view->setDifferenceMode(false);
        m_view->setTensor(t);
    }
    // Another slice or the difference view of a remote tensor the user chose to read whole.
    if (m_readWhole && m_view->heatmap()->awaitsWholeFetch()) m_view->heatmap()->fetchWhole();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (!maybeSave()) {
        event->ignore();
        return;
    }
    QSettings s = settings();
    s.setValue(QStringLiteral("geometry"), saveGeometry());
    s.setValue(QStringLiteral("windowState"), saveState());
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    const QMimeData* mime = event->mimeData();
    if (mime->hasUrls() && !mime->urls().isEmpty() && mime->urls().first().isLocalFile())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile()) return;
    event->acceptProposedAction();
    openFile(urls.first().toLocalFile());
}

} // namespace ws
