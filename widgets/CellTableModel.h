// The selected tensor's 2-D view as an editable table: cells are read from the
// tensor on demand (nothing is stored per cell) and edits go through the Document.
#pragma once

#include "EditOperation.h"

#include "DType.h"
#include "Document.h"

#include <QAbstractTableModel>
#include <QPointer>

namespace ws {

class CellTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit CellTableModel(QObject* parent = nullptr);

    /// Shows tensor \a tensorIndex of \a doc (either may be null / -1 for nothing).
    /// Shows tensor \a tensorIndex of \a doc, or \a view (a permuted view of it, e.g. a
    /// Keras kernel shown (out, in)) whose dimension i is the tensor's order[i].
    void setTensor(Document* doc, int tensorIndex, TensorPtr view = nullptr,
                   std::vector<int> order = {});
    Document* document() const { return m_doc; }
    int tensorIndex() const { return m_index; }

    /// Checks text typed for a value of \a dtype: a number (parseNumber) that the
    /// dtype can hold (integers integral and in range, bool 0/1/true/false, floats
    /// finite unless typed as inf/nan). False with \a error saying why.
    static bool parseCellValue(const QString& text, DType dtype, double* value, QString* error);
    /// The same keeping the value exact (integers beyond 2^53, complex values).
    static bool parseCellValue(const QString& text, DType dtype, Scalar* value, QString* error);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    /// A value typed into a cell was refused; \a message says why.
    void editRejected(const QString& message);
    /// A value typed into a cell of an encoded (quantized) tensor is stored as \a
    /// stored after its block was re-quantized; \a message says so, next to \a typed.
    void storedDiffers(double typed, double stored, const QString& message);

private:
    void onValuesChanged(int tensorIndex, const ws::Region& region);
    const Tensor* tensor() const;

    QPointer<Document> m_doc;
    int m_index = -1;
    TensorPtr m_view;
    std::vector<int> m_order;
    int m_rows = 0, m_cols = 0;
    bool m_readable = false;
};

} // namespace ws
