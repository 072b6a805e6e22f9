// Editable table over a tensor's 2-D view, validating typed values against the dtype.
#include "CellTableModel.h"
#include "TensorPermute.h"

#include "EditExpression.h"
#include "EditOperation.h"
#include "PlotStyle.h"

#include <QBrush>
#include <QFont>
#include <climits>
#include <cmath>

namespace ws {

namespace {

bool isEditable(const Tensor& t) {
    return t.problem.isEmpty() && (!t.encoding || t.encoding->unitElements() > 0);
}

} // namespace

CellTableModel::CellTableModel(QObject* parent) : QAbstractTableModel(parent) {}

bool CellTableModel::parseCellValue(const QString& text, DType dtype, Scalar* value,
                                    QString* error) {
    const QString t = text.trimmed();
    Scalar v;
    if (!Scalar::parse(t, &v)) {
        *error = tr("'%1' is not a number").arg(t);
        return false;
    }
    const QString name = dtypeName(dtype);
    if (dtype == DType::Bool) {
        if (v.isComplex || (v.re != 0 && v.re != 1)) {
            *error = tr("%1 does not fit bool (use 0, 1, true or false)").arg(t);
            return false;
        }
    } else if (isInteger(dtype)) {
        if (v.isFloat && (!std::isfinite(v.re) || v.re != std::trunc(v.re))) {
            *error = tr("%1 is not a whole number, as %2 needs").arg(t, name);
            return false;
        }
        if (v.isFloat) v = Scalar::ofInteger(Int128(v.re));
        const QString refused = EditOperation::set(v).refusal(dtype);
        if (!refused.isEmpty()) {
            *error = refused;
            return false;
        }
    } else if (v.isComplex && !isComplex(dtype)) {
        *error = tr("%1 is complex; %2 holds real values").arg(t, name);
        return false;
    } else if (!isComplex(dtype) && std::isfinite(v.re) && !std::isfinite(roundTrip(dtype, v.re))) {
        *error = tr("%1 is too large for %2").arg(t, name);
        return false;
    } else {
        const QString refused = EditOperation::set(v).refusal(dtype);
        if (!refused.isEmpty()) {
            *error = refused;
            return false;
        }
    }
    *value = v;
    return true;
}

bool CellTableModel::parseCellValue(const QString& text, DType dtype, double* value,
                                    QString* error) {
    Scalar s;
    if (!parseCellValue(text, dtype, &s, error)) return false;
    *value = s.re;
    return true;
}

void CellTableModel::setTensor(Document* doc, int tensorIndex, TensorPtr view,
                               std::vector<int> order) {
    beginResetModel();
    if (m_doc) disconnect(m_doc, nullptr, this, nullptr);
    m_doc = doc;
    m_index = tensorIndex;
    m_view = std::move(view);
    m_order = std::move(order);
    m_rows = m_cols = 0;
    m_readable = false;
    const Tensor* t = tensor();
    if (t) {
        QString error;
        m_readable = t->check(&error);
        if (m_readable) {
            m_rows = int(std::min<int64_t>(t->rows(), INT_MAX));
            m_cols = int(std::min<int64_t>(t->cols(), INT_MAX));
            if (t->numel() == 0) m_rows = m_cols = 0;
        }
    }
    if (m_doc) connect(m_doc, &Document::valuesChanged, this, &CellTableModel::onValuesChanged);
    endResetModel();
}

const Tensor* CellTableModel::tensor() const {
    if (!m_doc || m_index < 0 || size_t(m_index) >= m_doc->file().tensors.size()) return nullptr;
    if (m_view) return m_view.get();
    return m_doc->file().tensors[size_t(m_index)].get();
}

void CellTableModel::onValuesChanged(int tensorIndex, const Region& region) {
    const Tensor* t = tensor();
    if (tensorIndex != m_index || !t || m_rows == 0) return;
    int64_t r0 = 0, c0 = 0, nr = 0, nc = 0;
    (m_view ? regionFromBase(region, m_order) : region).bounds2d(*t, &r0, &c0, &nr, &nc);
    if (nr <= 0 || nc <= 0) return;
    const int top = int(std::min<int64_t>(r0, m_rows - 1));
    const int left = int(std::min<int64_t>(c0, m_cols - 1));
    const int bottom = int(std::min<int64_t>(r0 + nr - 1, m_rows - 1));
    const int right = int(std::min<int64_t>(c0 + nc - 1, m_cols - 1));
    Q_EMIT dataChanged(index(top, left), index(bottom, right),
                       {Qt::DisplayRole, Qt::EditRole, Qt::ToolTipRole});
}

int CellTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : m_rows;
}

int CellTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : m_cols;
}

QVariant CellTableModel::data(const QModelIndex& index, int role) const {
    const Tensor* t = tensor();
    if (!t || !m_readable || !checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::EditRole && role != Qt::ToolTipRole) return {};
    const int64_t flat = int64_t(index.row()) * t->cols() + index.column();
    const QString text = t->elementText(flat);
    if (role == Qt::ToolTipRole)
        return tr("%1[%2, %3] = %4 (%5)")
            .arg(t->name)
            .arg(index.row())
            .arg(index.column())
            .arg(text, t->typeName());
    return text;
}

bool CellTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    const Tensor* t = tensor();
    if (role != Qt::EditRole || !t || !checkIndex(index, CheckIndexOption::IndexIsValid))
        return false;
    Scalar v;
    QString error;
    if (!parseCellValue(value.toString(), t->encoding ? DType::Float32 : t->dtype, &v, &error)) {
        Q_EMIT editRejected(error);
        return false;
    }
    Region cell = Region::cell2d(*t, index.row(), index.column());
    if (m_view) cell = regionToBase(cell, m_order);
    const int key = Document::cellMergeKey(m_index, index.row(), index.column());
    if (!m_doc->edit(m_index, cell, EditOperation::set(v), &error, key)) {
        Q_EMIT editRejected(error);
        return false;
    }
    // A quantized block holds what its quantizer makes of the value typed: say what.
    if (t->encoding) {
        const int64_t flat = int64_t(index.row()) * t->cols() + index.column();
        const float stored = float(t->at(flat)); // decoded once; its text as the cell shows it
        const QString typed = value.toString().trimmed();
        const QString text = elementText(reinterpret_cast<const char*>(&stored), DType::Float32);
        if (float(v.re) != stored)
            Q_EMIT storedDiffers(v.re, stored,
                                 tr("Stored %1 for %2 typed: %3 re-quantized the block of %4 "
                                    "values holding it, as llama.cpp's quantizer does")
                                     .arg(text, typed, t->typeName())
                                     .arg(t->encoding->unitElements()));
    }
    return true; // dataChanged follows from Document::valuesChanged
}

Qt::ItemFlags CellTableModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    const Tensor* t = tensor();
    if (index.isValid() && t && isEditable(*t)) f |= Qt::ItemIsEditable;
    return f;
}

QVariant CellTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
    return QString::number(section);
}

} // namespace ws
