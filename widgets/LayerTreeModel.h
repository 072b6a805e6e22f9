// Item model over the layer tree: one row per module, tensors as leaf rows, with
// kind, shape, dtype and parameter counts; tensors sharing storage are marked.
#pragma once

#include "LayerTree.h"
#include "WeightFile.h"

#include <QAbstractItemModel>
#include <QHash>
#include <functional>
#include <memory>
#include <vector>

namespace ws {

class LayerTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { NameColumn, KindColumn, ShapeColumn, DTypeColumn, ParamsColumn, ColumnCount };
    enum Role {
        TensorIndexRole = Qt::UserRole, ///< int: index into WeightFile::tensors, -1 for modules
        PathRole,                       ///< QString: full dotted name, used for filtering
        LinkedRole,                     ///< QStringList: tensors sharing this one's storage
    };

    explicit LayerTreeModel(QObject* parent = nullptr);
    ~LayerTreeModel() override;

    /// Shows \a file (may be null); the model keeps it alive.
    void setWeightFile(std::shared_ptr<const WeightFile> file);
    const WeightFile* weightFile() const { return m_file.get(); }
    /// Tensors for which \a isEdited returns true are shown bold with a "●" (null: none).
    void setEditedPredicate(std::function<bool(int)> isEdited);
    /// Re-reads the edited state of every tensor (after an edit, undo or save).
    void refreshEdited();
    /// The index (column 0) of tensor \a tensorIndex, or invalid.
    QModelIndex indexOfTensor(int tensorIndex) const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    struct Item {
        const LayerNode* node = nullptr; ///< for module rows
        int tensor = -1;                 ///< for tensor rows
        bool packed = false;             ///< a stored tensor its parent row is computed from
        Item* parent = nullptr;
        int row = 0;
        std::vector<std::unique_ptr<Item>> children;
    };
    void build(Item* item);
    Item* itemAt(const QModelIndex& index) const;
    QVariant moduleData(const Item* item, int column, int role) const;
    QVariant tensorData(const Item* item, int column, int role) const;

    std::shared_ptr<const WeightFile> m_file;
    std::unique_ptr<LayerNode> m_tree;
    std::unique_ptr<Item> m_invisibleRoot;
    QHash<int, Item*> m_tensorItems;
    QHash<const Storage*, QStringList> m_byStorage;
    std::function<bool(int)> m_isEdited;
};

} // namespace ws
