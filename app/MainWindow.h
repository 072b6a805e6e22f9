// The main window: layer tree dock, tensor view in the centre, statistics, cell
// table and undo history docks, status-bar readout; files open on a worker thread
// with progress shown; every edit goes through the open Document.
#pragma once

#include "AnalysisRunner.h"
#include "Document.h"
#include "Statistics.h"
#include "TensorSession.h"
#include "WeightFile.h"

#include <QDateTime>
#include <QFileSystemWatcher>
#include <QFutureWatcher>
#include <QLabel>
#include <QMainWindow>
#include <QMessageBox>
#include <QProgressBar>
#include <QSettings>
#include <QTimer>
#include <memory>
#include <optional>

class QAbstractButton;
class QComboBox;
class QDockWidget;
class QToolBar;
class QMenu;
class QUndoGroup;
class QUndoView;

namespace ws {

class CellTableView;
class CompareWidget;
class FeatureImportanceWidget;
class FileFormat;
class HistogramWidget;
class SpectrumWidget;
class LayerTreeView;
class StatsPanel;
class FileInfoPanel;
class TensorView;

/// The application's settings store.
QSettings settings();

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Starts reading \a path on a worker thread; fileLoaded() or loadFailed() follows.
    /// Returns false (and emits nothing) only when \a path is empty.
    bool openFile(const QString& path);
    /// Shows tensor \a index of the open file (values load off the GUI thread when large).
    void showTensor(int index);

    std::shared_ptr<const WeightFile> weightFile() const { return m_session->file(); }
    /// The open document (null before a file is loaded).
    Document* document() const { return m_session->document().get(); }
    /// What the window shows and edits: document, shown tensor, selection.
    TensorSession* session() const { return m_session; }
    CellTableView* cellTable() const { return m_table; }
    QUndoView* undoView() const { return m_undoView; }
    QAction* undoAction() const { return m_undoAction; }
    QAction* redoAction() const { return m_redoAction; }
    QAction* diffAction() const { return m_diffAction; }
    /// The tensor on screen, or -1.
    int shownTensor() const { return m_session->shownIndex(); }

    /// Selects a rectangle of the shown tensor's 2-D view (clipped); shown on the plot.
    void setSelection(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols);
    void clearSelection();
    /// The selection, or the whole shown tensor when nothing is selected; false when
    /// no tensor is shown.
    bool targetRegion(Region* out) const;
    bool hasSelection() const {
        return m_session->selection().rows > 0 || m_session->sliceSelection().has_value();
    }
    /// Applies \a op to targetRegion() of the shown tensor; errors go to the status bar.
    bool applyOperation(const EditOperation& op);
    /// Document::resetParameters on targetRegion().
    bool reinitialize();
    /// Saves to \a path in \a format (null: the file's own); errors in a message box.
    bool saveDocument(const QString& path, const FileFormat* format = nullptr);
    /// Save in place (Save As when the format cannot be written); false if not saved.
    bool save();
    /// Asks for a file name and format; false when cancelled or failed.
    bool saveAs();
    /// Undo memory budget from the settings, in MiB.
    static int undoBudgetMiB();
    /// The disk cache for remote files (Preferences; WS_HTTP_CACHE_MB overrides it).
    static int remoteCacheMiB();
    LayerTreeView* layerTree() const { return m_tree; }
    TensorView* tensorView() const { return m_view; }
    StatsPanel* statsPanel() const { return m_stats; }
    FileInfoPanel* fileInfoPanel() const { return m_fileInfoPanel; }
    QString readoutText() const { return m_readout->text(); }
    /// The status bar's summary of the open file: format, tensors, parameters, buffers.
    QString fileInfoText() const { return m_fileInfo->text(); }
    QString transferText() const { return m_transferLabel->text(); }
    /// The status bar's Stop button, shown while requests to a server run.
    QAbstractButton* stopTransfersButton() const { return m_stopTransfers; }
    static QStringList recentFiles();
    HistogramWidget* histogram() const { return m_histogram; }
    SpectrumWidget* spectrum() const { return m_spectrum; }
    FeatureImportanceWidget* featureImportance() const { return m_features; }
    CompareWidget* comparison() const { return m_compare; }
    QDockWidget* histogramDock() const { return m_histogramDock; }
    QDockWidget* spectrumDock() const { return m_spectrumDock; }
    QDockWidget* featuresDock() const { return m_featuresDock; }
    /// Compares the open file with \a path on a worker thread (comparisonReady follows).
    void compareWith(const QString& path);
    /// Recomputes the histogram, spectrum and feature norms for what is shown now.
    void refreshAnalysis();
    /// Matrices with more elements get their spectrum only on request (the Compute
    /// button); 16M by default.
    static void setSpectrumAutoLimit(int64_t elements);

    /// The selection (or the whole shown tensor, up to a million cells) as tab-separated
    /// rows of exact values, on the clipboard; false (reason in the status bar) if not.
    bool copyValues();
    /// Pastes a tab-separated block at the selection's top-left cell as one undo step;
    /// every value is checked first, so a refusal changes nothing.
    bool pasteValues(const QString& text);
    /// The undo history up to the current step as a `weightscope edit` command line
    /// that reproduces it; steps the expression language cannot write are listed as
    /// `#` comments after it (\a skipped counts them).
    QString historyCommand(int* skipped = nullptr) const;
    /// Every shortcut of the window's actions, as the Help window lists them.
    QString shortcutsText() const;
    /// The initializer Re-initialize uses for tensor \a index ("kaiming_uniform(a=√5)"),
    /// or empty when it is not defined there (norm layers, unknown kinds).
    QString initializerName(int tensorIndex) const;
    /// Called by a timer after the file changed on disk: the question is asked once
    /// the file's size and time have stayed the same over two polls.
    void pollChangedFile();
    /// Milliseconds between those polls (300 by default).
    static void setChangePollInterval(int ms);
    QAction* copyValuesAction() const { return m_copyValuesAction; }
    QAction* pasteValuesAction() const { return m_pasteValuesAction; }
    QAction* copyHistoryAction() const { return m_copyHistoryAction; }
    QAction* reinitAction() const { return m_reinitAction; }
    QAction* zeroAction() const { return m_zeroAction; }

Q_SIGNALS:
    void fileLoaded();
    void loadFailed(const QString& error);
    /// Tensor \a index is on screen (or its error message is).
    void tensorShown(int index);
    /// A comparison finished (its table is filled) or failed (\a error).
    void comparisonReady(const QString& error);

protected:
    void closeEvent(QCloseEvent* event) override;
    void showEvent(QShowEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    struct FileBox {
        std::unique_ptr<WeightFile> file;
    };
    struct OpenResult {
        std::shared_ptr<FileBox> box;
        QString error;
    };

    /// Dock sizes for a first start (a saved layout replaces them).
    void applyDefaultLayout();
    void createMenus();
    void createEditMenu(QMenu* edit);
    void createDocks();
    void connectEditing();
    void setDocument(std::unique_ptr<WeightFile> file);
    void updateTitle();
    void updateActions();
    void onValuesChanged(int tensorIndex, const Region& region);
    void refreshShown();
    void setDifferenceMode(bool on);
    /// Shows the session's displayed tensor in the view: its values, or their difference from the
    /// original.
    void showDisplayed();
    void showAnalysis(const AnalysisResult& result);
    void showSelection();
    void askAndApply(EditOperation::Kind kind);
    /// A set, fill or re-initialize of the whole shown tensor (more than one row) asks
    /// first, unless the user said not to ask again; true to go on.
    bool confirmWholeTensor(const QString& what);
    /// Edit-menu actions of the clipboard and the history, and Help's shortcut list.
    void createClipboardActions(QMenu* edit);
    void showShortcuts();
    /// Logical element index of cell (\a row, \a col) of the 2-D or slice view.
    bool cellRegion(int64_t row, int64_t col, Region* out, int64_t* logical) const;
    void showPreferences();
    /// Asks Save / Discard / Cancel when there are unsaved changes; true to go on.
    bool maybeSave();
    /// Watches the open file (again: a save replaces it, which ends a watch).
    void watchFile();
    /// Another program changed or removed the open file: offer to reload it.
    void onFileChangedOnDisk(const QString& path);
    void askAboutChangedFile(const QString& path);
    void createColorToolBar();
    void addScaleControls();
    void applyRangeChoice();
    void createAnalysisDocks();
    void createAnalysisActions(QMenu* file, QMenu* edit, QMenu* view);
    void exportImage();
    void copyImage();
    void openDialog();
    /// File > Open URL…: asks for an http(s) URL and opens it.
    void openUrlDialog();
    /// The status bar's transfer label: bytes fetched over HTTP and the rate, shown
    /// while a remote file is open or opening (MainWindowRemote.cpp).
    void updateTransferLabel();
    void rebuildRecentMenu();
    void addRecent(const QString& path);
    void onOpenFinished(const QString& path, QFutureWatcher<OpenResult>* watcher,
                        quint64 generation);

    /// The open document, the tensor shown and the selection (model/edit/TensorSession).
    TensorSession* m_session = nullptr;
    QAction* m_kerasAction = nullptr;
    void selectInSlice(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols);
    CellTableView* m_table = nullptr;
    QDockWidget* m_cellsDock = nullptr;
    QDockWidget* m_historyDock = nullptr;
    QUndoGroup* m_undoGroup = nullptr;
    QUndoView* m_undoView = nullptr;
    QAction* m_undoAction = nullptr;
    QAction* m_redoAction = nullptr;
    QAction* m_diffAction = nullptr;
    QAction* m_saveAction = nullptr;
    QAction* m_saveAsAction = nullptr;
    QAction* m_copyValuesAction = nullptr;
    QAction* m_pasteValuesAction = nullptr;
    QAction* m_copyHistoryAction = nullptr;
    QAction* m_reinitAction = nullptr;
    QAction* m_zeroAction = nullptr;
    QTimer* m_changePoll = nullptr;
    qint64 m_changeSize = -2; ///< size and time at the last poll (-2: none yet)
    QDateTime m_changeTime;
    static int s_changePollMs;
    QList<QAction*> m_editActions;
    QToolBar* m_editBar = nullptr;
    QLabel* m_selectionLabel = nullptr;
    QTimer* m_refreshTimer = nullptr;
    QTimer* m_statsTimer = nullptr; ///< statistics after edits, once typing pauses
    int64_t m_dirtyRow0 = 0, m_dirtyCol0 = 0, m_dirtyRow1 = -1, m_dirtyCol1 = -1;
    LayerTreeView* m_tree = nullptr;
    TensorView* m_view = nullptr;
    StatsPanel* m_stats = nullptr;
    QDockWidget* m_treeDock = nullptr;
    QDockWidget* m_statsDock = nullptr;
    FileInfoPanel* m_fileInfoPanel = nullptr;
    QDockWidget* m_fileInfoDock = nullptr;
    QMenu* m_recentMenu = nullptr;
    QToolBar* m_colorBar = nullptr;
    QComboBox* m_colorMapBox = nullptr;
    QComboBox* m_rangeBox = nullptr;
    QComboBox* m_scaleBox = nullptr;
    QWidget* m_thresholdBox = nullptr;
    HistogramWidget* m_histogram = nullptr;
    SpectrumWidget* m_spectrum = nullptr;
    FeatureImportanceWidget* m_features = nullptr;
    CompareWidget* m_compare = nullptr;
    QDockWidget* m_histogramDock = nullptr;
    QDockWidget* m_spectrumDock = nullptr;
    QDockWidget* m_featuresDock = nullptr;
    QDockWidget* m_compareDock = nullptr;
    QTimer* m_analysisTimer = nullptr;
    AnalysisRunner* m_analysis = nullptr; ///< statistics, histogram and norms off the GUI thread
    /// Bumped whenever the shown values change (another tensor, an edit): the spectrum
    /// is computed once per generation.
    quint64 m_valuesGeneration = 0;
    quint64 m_spectrumGeneration = ~quint64(0);
    quint64 m_spectrumRequested = ~quint64(0); ///< the generation Compute was pressed for
    /// The user asked to read all of the shown tensor though it is large and remote
    /// (statistics, histogram and the heatmap's overview then read it whole).
    bool m_readWhole = false;
    static int64_t s_spectrumAutoLimit;
    QLabel* m_readout = nullptr;
    QLabel* m_fileInfo = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_transferLabel = nullptr;
    QAbstractButton* m_stopTransfers = nullptr;
    QTimer* m_transferTimer = nullptr;
    qint64 m_transferBytes = 0;  ///< bytes fetched at the last tick
    qint64 m_transferTickMs = 0; ///< when that was (ms since the epoch)
    quint64 m_openGeneration = 0;
    QFileSystemWatcher* m_fileWatcher = nullptr;
    QMessageBox* m_changedBox = nullptr; ///< the open "changed on disk" question
    bool m_discardOnOpen = false;        ///< reloading: the edits were given up already
    bool m_shownOnce = false;
};

} // namespace ws
