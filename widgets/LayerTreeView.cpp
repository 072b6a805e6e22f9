// Layer tree with a name filter.
#include "LayerTreeView.h"

#include "LayerTreeModel.h"

#include <QHeaderView>
#include <QKeyEvent>
#include <QVBoxLayout>
#include <algorithm>

namespace ws {

LayerTreeView::LayerTreeView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter by name…"));
    m_filter->setClearButtonEnabled(true);
    m_filter->installEventFilter(this);
    m_tree = new QTreeView(this);
    m_model = new LayerTreeModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setRecursiveFilteringEnabled(true);
    m_proxy->setAutoAcceptChildRows(true);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setFilterRole(LayerTreeModel::PathRole);
    m_proxy->setFilterKeyColumn(LayerTreeModel::NameColumn);
    m_tree->setModel(m_proxy);
    m_tree->setUniformRowHeights(true);
    m_tree->setIndentation(14);
    m_tree->setAlternatingRowColors(true);
    m_tree->setSelectionMode(QAbstractItemView::SingleSelection);
    m_tree->setSelectionBehavior(QAbstractItemView::SelectRows);
    // Shapes, dtypes and counts always fit; the kind column takes what is left.
    QHeaderView* header = m_tree->header();
    header->setStretchLastSection(false);
    header->setSectionResizeMode(LayerTreeModel::NameColumn, QHeaderView::Interactive);
    header->setSectionResizeMode(LayerTreeModel::KindColumn, QHeaderView::Stretch);
    for (int c : {int(LayerTreeModel::ShapeColumn), int(LayerTreeModel::DTypeColumn),
                  int(LayerTreeModel::ParamsColumn)})
        header->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    header->setMinimumSectionSize(40);
    layout->addWidget(m_filter);
    layout->addWidget(m_tree);

    connect(m_filter, &QLineEdit::textChanged, this, &LayerTreeView::onFilterChanged);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& current) {
                const int t = current.data(LayerTreeModel::TensorIndexRole).toInt();
                if (current.isValid() && t >= 0) Q_EMIT tensorSelected(t);
            });
}

void LayerTreeView::setWeightFile(std::shared_ptr<const WeightFile> file) {
    m_model->setWeightFile(std::move(file));
    expandDefault();
    m_tree->resizeColumnToContents(LayerTreeModel::NameColumn);
    m_tree->setColumnWidth(LayerTreeModel::NameColumn,
                           std::min(m_tree->columnWidth(LayerTreeModel::NameColumn), 220));
}

void LayerTreeView::expandDefault() {
    const WeightFile* f = m_model->weightFile();
    if (!f) return;
    if (!m_filter->text().isEmpty() || f->tensors.size() <= 200)
        m_tree->expandAll();
    else
        m_tree->expandToDepth(1);
}

void LayerTreeView::setFilterText(const QString& text) {
    m_filter->setText(text);
}

void LayerTreeView::onFilterChanged(const QString& text) {
    m_proxy->setFilterFixedString(text.trimmed());
    expandDefault();
}

bool LayerTreeView::eventFilter(QObject* watched, QEvent* event) {
    if (watched != m_filter || event->type() != QEvent::ShortcutOverride)
        return QWidget::eventFilter(watched, event);
    // An accepted ShortcutOverride keeps the key in the line edit; an ignored one lets
    // the window's shortcut run. The box keeps editing keys and its own undo/redo while
    // it has something to undo/redo; Ctrl+letter bindings (Emacs-style Ctrl+E, ...)
    // mean nothing in a filter and go to the window.
    auto* key = static_cast<QKeyEvent*>(event);
    auto pass = [event] {
        event->ignore();
        return true;
    };
    if (key->matches(QKeySequence::Undo)) {
        if (m_filter->isUndoAvailable()) return QWidget::eventFilter(watched, event);
        return pass();
    }
    if (key->matches(QKeySequence::Redo)) {
        if (m_filter->isRedoAvailable()) return QWidget::eventFilter(watched, event);
        return pass();
    }
    for (QKeySequence::StandardKey k :
         {QKeySequence::Copy, QKeySequence::Cut, QKeySequence::Paste, QKeySequence::SelectAll})
        if (key->matches(k)) return QWidget::eventFilter(watched, event);
    const Qt::KeyboardModifiers mods = key->modifiers() & ~Qt::KeypadModifier;
    if ((mods & Qt::ControlModifier) && key->key() >= Qt::Key_A && key->key() <= Qt::Key_Z)
        return pass();
    return QWidget::eventFilter(watched, event);
}

bool LayerTreeView::selectTensor(int tensorIndex) {
    const QModelIndex proxy = m_proxy->mapFromSource(m_model->indexOfTensor(tensorIndex));
    if (!proxy.isValid()) return false;
    m_tree->scrollTo(proxy);
    m_tree->selectionModel()->setCurrentIndex(proxy, QItemSelectionModel::ClearAndSelect |
                                                         QItemSelectionModel::Rows);
    return true;
}

int LayerTreeView::currentTensor() const {
    const QModelIndex cur = m_tree->currentIndex();
    return cur.isValid() ? cur.data(LayerTreeModel::TensorIndexRole).toInt() : -1;
}

} // namespace ws
