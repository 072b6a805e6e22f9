// The main window: layer tree dock, tensor view in the centre, statistics dock,
// status-bar readout; files open on a worker thread with progress shown.
#pragma once

#include "Statistics.h"
#include "WeightFile.h"

#include <QFutureWatcher>
#include <QLabel>
#include <QMainWindow>
#include <QProgressBar>
#include <memory>

class QComboBox;
class QDockWidget;
class QToolBar;
class QMenu;

namespace ws {

class LayerTreeView;
class StatsPanel;
class TensorView;

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

    std::shared_ptr<const WeightFile> weightFile() const { return m_file; }
    LayerTreeView* layerTree() const { return m_tree; }
    TensorView* tensorView() const { return m_view; }
    StatsPanel* statsPanel() const { return m_stats; }
    QString readoutText() const { return m_readout->text(); }
    static QStringList recentFiles();

Q_SIGNALS:
    void fileLoaded();
    void loadFailed(const QString& error);
    /// Tensor \a index is on screen (or its error message is).
    void tensorShown(int index);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    struct OpenResult {
        std::shared_ptr<WeightFile> file;
        QString error;
    };
    struct TensorResult {
        std::shared_ptr<MatrixF> values;
        TensorStats stats;
        QString error;
    };

    void createMenus();
    void createColorToolBar();
    void openDialog();
    void rebuildRecentMenu();
    void addRecent(const QString& path);
    void onOpenFinished(const QString& path, QFutureWatcher<OpenResult>* watcher,
                        quint64 generation);
    void displayTensor(int index, const TensorResult& result);
    static TensorResult loadTensor(const TensorPtr& t);

    std::shared_ptr<WeightFile> m_file;
    LayerTreeView* m_tree = nullptr;
    TensorView* m_view = nullptr;
    StatsPanel* m_stats = nullptr;
    QDockWidget* m_treeDock = nullptr;
    QDockWidget* m_statsDock = nullptr;
    QMenu* m_recentMenu = nullptr;
    QToolBar* m_colorBar = nullptr;
    QComboBox* m_colorMapBox = nullptr;
    QComboBox* m_rangeBox = nullptr;
    QLabel* m_readout = nullptr;
    QLabel* m_fileInfo = nullptr;
    QProgressBar* m_progress = nullptr;
    quint64 m_openGeneration = 0;
    quint64 m_tensorGeneration = 0;
};

} // namespace ws
