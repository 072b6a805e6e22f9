// File facts and metadata as a two-column tree: "File" and "Model" facts first,
// then the "Metadata" keys in file order (where the format keeps one).
#include "FileInfoPanel.h"

#include "LayerTree.h"

#include <QFileInfo>
#include <QHeaderView>
#include <QLocale>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace ws {

FileInfoPanel::FileInfoPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_tree = new QTreeWidget(this);
    m_tree->setColumnCount(2);
    m_tree->setHeaderLabels({tr("Property"), tr("Value")});
    m_tree->setUniformRowHeights(true);
    m_tree->setWordWrap(false);
    m_tree->setTextElideMode(Qt::ElideRight);
    m_tree->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    layout->addWidget(m_tree);
}

void FileInfoPanel::clear() {
    m_tree->clear();
}

void FileInfoPanel::setFile(const WeightFile& file) {
    clear();
    const auto group = [this](const QString& title) {
        auto* g = new QTreeWidgetItem(m_tree, {title});
        QFont bold = g->font(0);
        bold.setBold(true);
        g->setFont(0, bold);
        g->setFirstColumnSpanned(true);
        g->setExpanded(true);
        return g;
    };
    const auto row = [](QTreeWidgetItem* parent, const QString& label, const QString& value) {
        auto* item = new QTreeWidgetItem(parent, {label, value});
        item->setToolTip(1, value);
    };
    QTreeWidgetItem* fileGroup = group(tr("File"));
    row(fileGroup, tr("Name"), QFileInfo(file.path).fileName());
    row(fileGroup, tr("Format"), file.formatName);
    row(fileGroup, tr("Tensors"), QLocale::c().toString(qulonglong(file.tensors.size())));
    const int64_t params = file.parameterCount();
    row(fileGroup, tr("Parameters"),
        QStringLiteral("%1 (%2)").arg(QLocale::c().toString(qlonglong(params)),
                                      formatCount(params)));
    int unreadable = 0;
    for (const TensorPtr& t : file.tensors)
        unreadable += t->problem.isEmpty() ? 0 : 1;
    if (unreadable) row(fileGroup, tr("Unreadable tensors"), QString::number(unreadable));
    if (!file.summary.empty()) {
        QTreeWidgetItem* model = group(tr("Model"));
        for (const auto& [label, value] : file.summary)
            row(model, label, value);
    }
    if (!file.metadata.isEmpty()) {
        QTreeWidgetItem* meta = group(tr("Metadata"));
        if (!file.typedMetadata.empty()) { // file order
            for (const auto& entry : file.typedMetadata)
                row(meta, entry.first, file.metadata.value(entry.first));
        } else {
            for (auto it = file.metadata.begin(); it != file.metadata.end(); ++it)
                row(meta, it.key(), it.value());
        }
    }
}

QString FileInfoPanel::value(const QString& label) const {
    for (int g = 0; g < m_tree->topLevelItemCount(); ++g) {
        const QTreeWidgetItem* group = m_tree->topLevelItem(g);
        for (int i = 0; i < group->childCount(); ++i)
            if (group->child(i)->text(0) == label) return group->child(i)->text(1);
    }
    return QString();
}

} // namespace ws
