// Item model over the layer tree.
#include "LayerTreeModel.h"

#include <QApplication>
#include <QFileInfo>
#include <QFont>
#include <QLocale>
#include <QStyle>

namespace ws {

LayerTreeModel::LayerTreeModel(QObject* parent) : QAbstractItemModel(parent) {
    m_invisibleRoot = std::make_unique<Item>();
}

LayerTreeModel::~LayerTreeModel() = default;

void LayerTreeModel::setWeightFile(std::shared_ptr<const WeightFile> file) {
    beginResetModel();
    m_file = std::move(file);
    m_invisibleRoot = std::make_unique<Item>();
    m_tensorItems.clear();
    m_byStorage.clear();
    m_tree.reset();
    if (m_file) {
        for (const TensorPtr& t : m_file->tensors) // a derived tensor only names its source's
            if (t->storage && !t->derived) m_byStorage[t->storage.get()] << t->name;
        m_tree = buildLayerTree(*m_file);
        auto root = std::make_unique<Item>();
        root->node = m_tree.get();
        root->parent = m_invisibleRoot.get();
        build(root.get());
        m_invisibleRoot->children.push_back(std::move(root));
    }
    endResetModel();
}

void LayerTreeModel::build(Item* item) {
    for (int t : item->node->tensors) {
        auto child = std::make_unique<Item>();
        child->tensor = t;
        child->parent = item;
        child->row = int(item->children.size());
        m_tensorItems.insert(t, child.get());
        // The stored tensors it is computed from (qweight, scales...) as its children.
        const auto packed = item->node->packed.find(t);
        if (packed != item->node->packed.end())
            for (int p : packed->second) {
                auto leaf = std::make_unique<Item>();
                leaf->tensor = p;
                leaf->packed = true;
                leaf->parent = child.get();
                leaf->row = int(child->children.size());
                m_tensorItems.insert(p, leaf.get());
                child->children.push_back(std::move(leaf));
            }
        item->children.push_back(std::move(child));
    }
    for (const auto& n : item->node->children) {
        auto child = std::make_unique<Item>();
        child->node = n.get();
        child->parent = item;
        child->row = int(item->children.size());
        build(child.get());
        item->children.push_back(std::move(child));
    }
}

void LayerTreeModel::setEditedPredicate(std::function<bool(int)> isEdited) {
    m_isEdited = std::move(isEdited);
    refreshEdited();
}

void LayerTreeModel::refreshEdited() {
    for (auto it = m_tensorItems.cbegin(); it != m_tensorItems.cend(); ++it) {
        const QModelIndex i = createIndex(it.value()->row, NameColumn, it.value());
        Q_EMIT dataChanged(i, i, {Qt::DisplayRole, Qt::FontRole, Qt::ToolTipRole});
    }
}

QModelIndex LayerTreeModel::indexOfTensor(int tensorIndex) const {
    const Item* item = m_tensorItems.value(tensorIndex);
    return item ? createIndex(item->row, 0, const_cast<Item*>(item)) : QModelIndex();
}

LayerTreeModel::Item* LayerTreeModel::itemAt(const QModelIndex& index) const {
    return index.isValid() ? static_cast<Item*>(index.internalPointer()) : m_invisibleRoot.get();
}

QModelIndex LayerTreeModel::index(int row, int column, const QModelIndex& parent) const {
    if (column < 0 || column >= ColumnCount || row < 0) return {};
    if (parent.isValid() && parent.column() != 0) return {};
    const Item* p = itemAt(parent);
    if (row >= int(p->children.size())) return {};
    return createIndex(row, column, p->children[size_t(row)].get());
}

QModelIndex LayerTreeModel::parent(const QModelIndex& child) const {
    if (!child.isValid()) return {};
    const Item* p = itemAt(child)->parent;
    if (!p || p == m_invisibleRoot.get()) return {};
    return createIndex(p->row, 0, const_cast<Item*>(p));
}

int LayerTreeModel::rowCount(const QModelIndex& parent) const {
    if (parent.isValid() && parent.column() != 0) return 0;
    return int(itemAt(parent)->children.size());
}

int LayerTreeModel::columnCount(const QModelIndex&) const {
    return ColumnCount;
}

QVariant LayerTreeModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case NameColumn:
        return tr("Name");
    case KindColumn:
        return tr("Kind");
    case ShapeColumn:
        return tr("Shape");
    case DTypeColumn:
        return tr("DType");
    case ParamsColumn:
        return tr("Parameters");
    default:
        return {};
    }
}

QVariant LayerTreeModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || !m_file) return {};
    const Item* item = itemAt(index);
    if (role == Qt::TextAlignmentRole && index.column() == ParamsColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return item->tensor >= 0 ? tensorData(item, index.column(), role)
                             : moduleData(item, index.column(), role);
}

QVariant LayerTreeModel::moduleData(const Item* item, int column, int role) const {
    const LayerNode* node = item->node;
    const bool isRoot = node == m_tree.get();
    // Buffers (running_mean, ...) are state, not parameters: counted apart, as PyTorch does.
    int64_t params = node->parameterCount, buffers = node->bufferCount;
    if (isRoot) countParametersAndBuffers(*m_file, &params, &buffers);
    if (role == TensorIndexRole) return -1;
    if (role == PathRole) return node->path;
    if (role == LinkedRole) return QStringList();
    if (role == Qt::ToolTipRole) {
        if (column == ParamsColumn && buffers > 0)
            return tr("%1 parameters, %2 buffer values")
                .arg(QLocale::c().toString(qlonglong(params)),
                     QLocale::c().toString(qlonglong(buffers)));
        if (column == ParamsColumn)
            return tr("%1 parameters").arg(QLocale::c().toString(qlonglong(params)));
        if (column == KindColumn) return moduleData(item, column, Qt::DisplayRole);
        return isRoot ? m_file->path : node->path;
    }
    if (role != Qt::DisplayRole) return {};
    switch (column) {
    case NameColumn:
        return isRoot ? QFileInfo(m_file->path).fileName() : node->name;
    case KindColumn:
        if (isRoot) return m_file->formatName;
        if (node->detail.isEmpty()) return node->kind;
        if (node->kind.isEmpty()) return node->detail;
        return QString(node->kind + QStringLiteral(" — ") + node->detail);
    case ParamsColumn:
        return formatCount(params);
    default:
        return {};
    }
}

QVariant LayerTreeModel::tensorData(const Item* item, int column, int role) const {
    const Tensor& t = *m_file->tensors[size_t(item->tensor)];
    QStringList linked = t.derived ? QStringList() : m_byStorage.value(t.storage.get());
    linked.removeAll(t.name);
    if (role == TensorIndexRole) return item->tensor;
    if (role == PathRole) return t.name;
    if (role == LinkedRole) return linked;
    const bool edited = m_isEdited && m_isEdited(item->tensor);
    if (role == Qt::FontRole && column == NameColumn && edited) {
        QFont bold;
        bold.setBold(true);
        return bold;
    }
    if (!t.problem.isEmpty()) { // listed, never shown: say why
        if (role == Qt::ToolTipRole) return tr("%1\nCannot be read: %2").arg(t.name, t.problem);
        if (role == Qt::DecorationRole && column == NameColumn)
            return QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning);
        if (role == Qt::DisplayRole && column == KindColumn) return tr("⚠ damaged");
    }
    if (role == Qt::ToolTipRole && edited) return tr("%1 (edited)").arg(t.name);
    if (role == Qt::ToolTipRole && t.encoding)
        return tr("%1\n%2: %3").arg(t.name, t.typeName(), t.encoding->description());
    if (role == Qt::ToolTipRole) {
        if (!linked.isEmpty())
            return tr("%1\nShares storage with: %2").arg(t.name, linked.join(QLatin1String(", ")));
        return t.name;
    }
    if (role != Qt::DisplayRole) return {};
    switch (column) {
    case NameColumn: {
        // The leaf ("kernel:0" of Keras's "dense/dense/kernel:0"); the tooltip has the path.
        const QString shortName = splitName(t.name, m_file->separator).last();
        return edited ? QStringLiteral("● ") + shortName : shortName;
    }
    case KindColumn:
        if (item->packed) return tr("packed");
        return linked.isEmpty() ? QString() : tr("⇄ linked");
    case ShapeColumn:
        return t.shapeString();
    case DTypeColumn:
        return t.typeName();
    case ParamsColumn:
        return formatCount(t.numel());
    default:
        return {};
    }
}

} // namespace ws
