// Editable table over a tensor's 2-D view, validating typed values against the dtype.
#include "CellTableModel.h"
#include "TensorPermute.h"

#include "EditExpression.h"
#include "PlotStyle.h"

#include <QBrush>
#include <QFont>
#include <climits>
#include <cmath>

namespace ws {

namespace {

bool isEditable(DType d) {
    return d != DType::Float8E4M3 && d != DType::Float8E5M2 && d != DType::Complex64 &&
           d != DType::Complex128;
}

// Inclusive range of an integer dtype, as doubles (exact powers of two at the ends).
void integerRange(DType d, double* lo, double* hi) {
    switch (d) {
    case DType::Int8:
        *lo = -128, *hi = 127;
        return;
    case DType::UInt8:
        *lo = 0, *hi = 255;
        return;
    case DType::Int16:
        *lo = -32768, *hi = 32767;
        return;
    case DType::UInt16:
        *lo = 0, *hi = 65535;
        return;
    case DType::Int32:
        *lo = -2147483648.0, *hi = 2147483647.0;
        return;
    case DType::UInt32:
        *lo = 0, *hi = 4294967295.0;
        return;
    case DType::UInt64:
        *lo = 0, *hi = std::ldexp(1.0, 64); // exclusive, checked below
        return;
    default: // Int64
        *lo = -std::ldexp(1.0, 63), *hi = std::ldexp(1.0, 63);
        return;
    }
}

// The shortest text that reads back as \a v once stored in \a dtype ("0.1" for the
// float16 nearest 0.1, not its float32 digits).
QString cellText(double v, DType dtype) {
    const bool narrow = dtype == DType::Float16 || dtype == DType::BFloat16 ||
                        dtype == DType::Float8E4M3 || dtype == DType::Float8E5M2;
    if (narrow && std::isfinite(v)) {
        for (int digits = 1; digits <= 9; ++digits) {
            const QString s = QString::number(v, 'g', digits);
            if (roundTrip(dtype, s.toDouble()) == v) return s;
        }
    }
    return formatValue(v, dtype);
}

} // namespace

CellTableModel::CellTableModel(QObject* parent) : QAbstractTableModel(parent) {}

bool CellTableModel::parseCellValue(const QString& text, DType dtype, double* value,
                                    QString* error) {
    const QString t = text.trimmed();
    double v = 0;
    if (!parseNumber(t, &v)) {
        *error = tr("'%1' is not a number").arg(t);
        return false;
    }
    const QString name = dtypeName(dtype);
    if (dtype == DType::Bool) {
        if (v != 0 && v != 1) {
            *error = tr("%1 does not fit bool (use 0, 1, true or false)").arg(t);
            return false;
        }
    } else if (!isFloatingPoint(dtype)) {
        double lo = 0, hi = 0;
        integerRange(dtype, &lo, &hi);
        const bool exclusiveTop = dtype == DType::Int64 || dtype == DType::UInt64;
        if (!std::isfinite(v) || v != std::trunc(v)) {
            *error = tr("%1 is not a whole number, as %2 needs").arg(t, name);
            return false;
        }
        if (v < lo || v > hi || (exclusiveTop && v >= hi)) {
            *error = tr("%1 is outside the range of %2").arg(t, name);
            return false;
        }
    } else if (std::isfinite(v) && !std::isfinite(roundTrip(dtype, v))) {
        *error = tr("%1 is too large for %2").arg(t, name);
        return false;
    }
    *value = v;
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
        m_readable = t->load(&error);
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
    const QString text = cellText(t->at(flat), t->dtype);
    if (role == Qt::ToolTipRole)
        return tr("%1[%2, %3] = %4 (%5)")
            .arg(t->name)
            .arg(index.row())
            .arg(index.column())
            .arg(text, dtypeName(t->dtype));
    return text;
}

bool CellTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    const Tensor* t = tensor();
    if (role != Qt::EditRole || !t || !checkIndex(index, CheckIndexOption::IndexIsValid))
        return false;
    double v = 0;
    QString error;
    if (!parseCellValue(value.toString(), t->dtype, &v, &error)) {
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
    return true; // dataChanged follows from Document::valuesChanged
}

Qt::ItemFlags CellTableModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    const Tensor* t = tensor();
    if (index.isValid() && t && !t->encoding && t->problem.isEmpty() && isEditable(t->dtype))
        f |= Qt::ItemIsEditable;
    return f;
}

QVariant CellTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
    return QString::number(section);
}

} // namespace ws
