// The layer tree with a filter box: modules and their tensors; selecting a
// tensor row emits its index in the weight file. The filter box keeps only the
// shortcuts a one-line filter needs: the window's (export, undo when the box has
// nothing to undo) work while it has focus.
#pragma once

#include "WeightFile.h"

#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTreeView>
#include <QWidget>
#include <memory>

namespace ws {

class LayerTreeModel;

class LayerTreeView : public QWidget {
    Q_OBJECT
public:
    explicit LayerTreeView(QWidget* parent = nullptr);

    void setWeightFile(std::shared_ptr<const WeightFile> file);
    /// Selects (and scrolls to) tensor \a tensorIndex; false if it is filtered out.
    bool selectTensor(int tensorIndex);
    /// The selected tensor's index, or -1.
    int currentTensor() const;
    /// Narrows the tree to names containing \a text (case-insensitive).
    void setFilterText(const QString& text);

    QTreeView* treeView() const { return m_tree; }
    QLineEdit* filterEdit() const { return m_filter; }
    LayerTreeModel* model() const { return m_model; }
    QSortFilterProxyModel* proxyModel() const { return m_proxy; }

Q_SIGNALS:
    void tensorSelected(int tensorIndex);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void onFilterChanged(const QString& text);
    void expandDefault();

    QLineEdit* m_filter = nullptr;
    QTreeView* m_tree = nullptr;
    LayerTreeModel* m_model = nullptr;
    QSortFilterProxyModel* m_proxy = nullptr;
};

} // namespace ws
