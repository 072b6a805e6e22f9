// File > Compare With: a sortable table of the relative change of every tensor
// matched by name between the open file and another, and the difference heatmap
// (this − other) of the selected row.
#pragma once

#include "Analysis.h"
#include "WeightFile.h"

#include <QWidget>
#include <memory>
#include <vector>

class QLabel;
class QTableWidget;

namespace ws {

class HeatmapWidget;

class CompareWidget : public QWidget {
    Q_OBJECT
public:
    explicit CompareWidget(QWidget* parent = nullptr);
    /// Shows \a changes between \a thisFile and \a other (both kept for the heatmaps).
    void setComparison(std::shared_ptr<const WeightFile> thisFile,
                       std::shared_ptr<const WeightFile> other, std::vector<TensorChange> changes);
    void showMessage(const QString& text);
    QTableWidget* table() const { return m_table; }
    HeatmapWidget* heatmap() const { return m_heatmap; }
    const std::vector<TensorChange>& changes() const { return m_changes; }
    /// Shows the difference heatmap of tensor \a name; false when it cannot.
    bool showDifference(const QString& name, QString* error = nullptr);

private:
    std::shared_ptr<const WeightFile> m_a, m_b;
    std::vector<TensorChange> m_changes;
    QLabel* m_label = nullptr;
    QTableWidget* m_table = nullptr;
    HeatmapWidget* m_heatmap = nullptr;
};

} // namespace ws
