// Comparison table and difference heatmap of two files of the same model.
#include "CompareWidget.h"

#include "HeatmapWidget.h"

#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

namespace ws {

namespace {

// A table item that sorts by a number rather than its text.
class NumberItem : public QTableWidgetItem {
public:
    explicit NumberItem(double v, const QString& text) : QTableWidgetItem(text) {
        setData(Qt::UserRole, v);
        setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    }
    bool operator<(const QTableWidgetItem& other) const override {
        const double a = data(Qt::UserRole).toDouble(), b = other.data(Qt::UserRole).toDouble();
        if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && !std::isnan(b);
        return a < b;
    }
};

TensorPtr findTensor(const WeightFile& f, const QString& name) {
    for (const TensorPtr& t : f.tensors)
        if (t->name == name) return t;
    return nullptr;
}

} // namespace

CompareWidget::CompareWidget(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    m_label = new QLabel(this);
    m_label->setWordWrap(true);
    layout->addWidget(m_label);
    auto* split = new QSplitter(Qt::Vertical, this);
    m_table = new QTableWidget(0, 4, split);
    m_table->setHorizontalHeaderLabels(
        {tr("Tensor"), tr("Relative change"), tr("Max |Δ|"), tr("Note")});
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_table->verticalHeader()->setVisible(false);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSortingEnabled(true);
    m_heatmap = new HeatmapWidget(split);
    m_heatmap->setDifferenceMode(true);
    m_heatmap->setMinimumHeight(180);
    layout->addWidget(split, 1);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, [this] {
        const auto rows = m_table->selectionModel()->selectedRows();
        if (rows.isEmpty()) return;
        QString error;
        const QString name = m_table->item(rows.first().row(), 0)->text();
        if (!showDifference(name, &error)) {
            m_heatmap->clear();
            m_label->setText(tr("%1: %2").arg(name, error));
        }
    });
    showMessage(tr("File ▸ Compare With… measures how far each tensor moved."));
}

void CompareWidget::showMessage(const QString& text) {
    m_label->setText(text);
}

void CompareWidget::setComparison(std::shared_ptr<const WeightFile> thisFile,
                                  std::shared_ptr<const WeightFile> other,
                                  std::vector<TensorChange> changes) {
    m_a = std::move(thisFile);
    m_b = std::move(other);
    m_changes = std::move(changes);
    m_table->setSortingEnabled(false);
    m_table->setRowCount(int(m_changes.size()));
    for (int i = 0; i < int(m_changes.size()); ++i) {
        const TensorChange& c = m_changes[size_t(i)];
        const bool ok = c.problem.isEmpty();
        m_table->setItem(i, 0, new QTableWidgetItem(c.name));
        m_table->setItem(
            i, 1,
            new NumberItem(ok ? c.relativeChange : std::nan(""),
                           ok ? QString::number(c.relativeChange, 'g', 4) : QString()));
        m_table->setItem(i, 2,
                         new NumberItem(ok ? c.maxAbsChange : std::nan(""),
                                        ok ? QString::number(c.maxAbsChange, 'g', 4) : QString()));
        m_table->setItem(i, 3, new QTableWidgetItem(c.problem));
    }
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(1, Qt::DescendingOrder);
    m_label->setText(tr("This file − %1: %2 tensors; relative change = ‖other − this‖ / ‖this‖")
                         .arg(m_b ? m_b->path : QString())
                         .arg(m_changes.size()));
}

bool CompareWidget::showDifference(const QString& name, QString* error) {
    if (!m_a || !m_b) return false;
    const TensorPtr a = findTensor(*m_a, name), b = findTensor(*m_b, name);
    if (!a || !b) {
        if (error) *error = tr("only in one file");
        return false;
    }
    if (a->shape != b->shape) {
        if (error) *error = tr("shape differs");
        return false;
    }
    MatrixF va, vb;
    QString e;
    if (!a->values(&va, &e) || !b->values(&vb, &e)) {
        if (error) *error = e;
        return false;
    }
    m_heatmap->setValues(std::make_shared<MatrixF>(va - vb), a);
    m_heatmap->setTitle(tr("%1   this − other").arg(name));
    return true;
}

} // namespace ws
