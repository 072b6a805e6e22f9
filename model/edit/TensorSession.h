// What one window shows and edits: the open document, the tensor on screen (as
// displayed: input-major Keras kernels optionally in PyTorch's (out, in) order)
// and the selected cells. The main window's views read it; app/ only wires it.
#pragma once

#include "Document.h"
#include "Region.h"

#include <QObject>
#include <memory>
#include <optional>
#include <vector>

namespace ws {

class TensorSession : public QObject {
    Q_OBJECT
public:
    /// A rectangle of the displayed tensor's 2-D view.
    struct Selection {
        int64_t row = 0, col = 0, rows = 0, cols = 0;
        bool isEmpty() const { return rows <= 0 || cols <= 0; }
    };
    /// A rectangle of a slice view of an n-D tensor: its cells in the view (rows
    /// along one axis, columns along another, the other axes fixed) and the box of
    /// the displayed tensor they are.
    struct SliceSelection {
        int64_t row0 = 0, col0 = 0, rows = 0, cols = 0;
        Region region;
    };

    explicit TensorSession(QObject* parent = nullptr);
    ~TensorSession() override;

    /// Makes \a file the open document; no tensor is shown. A document still used
    /// by workers on other threads is deleted on its own thread when they let go.
    void setDocument(std::unique_ptr<WeightFile> file);
    void closeDocument();
    const std::shared_ptr<Document>& document() const { return m_doc; }
    /// The document's file (shares ownership with the document).
    const std::shared_ptr<WeightFile>& file() const { return m_file; }

    /// Input-major kernels (Keras) shown in PyTorch's order (out, in, ...).
    void setPyTorchOrder(bool on) { m_pytorchOrder = on; }
    bool pytorchOrder() const { return m_pytorchOrder; }

    /// Shows tensor \a index of the file: the selection is cleared. False when there
    /// is no such tensor (nothing changes then).
    bool showTensor(int index);
    /// The tensor on screen, or -1.
    int shownIndex() const { return m_shown; }
    /// The shown tensor as displayed: itself, or a permuted view of it.
    const TensorPtr& displayed() const { return m_displayed; }
    /// Dimension i of displayed() is dimension order()[i] of the tensor; empty when
    /// displayed() is the tensor itself.
    const std::vector<int>& order() const { return m_order; }
    /// A region of displayed() as a region of the tensor, and back.
    Region toBase(const Region& r) const;
    Region fromBase(const Region& r) const;

    const Selection& selection() const { return m_sel; }
    const std::optional<SliceSelection>& sliceSelection() const { return m_sliceSel; }
    /// Selects a rectangle of displayed()'s 2-D view, clipped to it (an empty one
    /// when nothing is left).
    void selectRect(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols);
    /// Selects rows [row0, row0 + nRows) of axis \a rowAxis and columns of axis \a
    /// colAxis at \a index of the other axes, clipped. False when nothing is left (the
    /// selection is then cleared) or the axes do not fit the tensor (unchanged).
    bool selectInSlice(int rowAxis, int colAxis, const std::vector<int64_t>& index, int64_t row0,
                       int64_t col0, int64_t nRows, int64_t nCols);
    void clearSelection();
    /// The cells an edit applies to, in displayed()'s dimensions (toBase() gives the
    /// tensor's): the selection, or the whole tensor when nothing is selected. False
    /// when no tensor is shown.
    bool editTarget(Region* out) const;

private:
    std::shared_ptr<Document> m_doc;
    std::shared_ptr<WeightFile> m_file;
    bool m_pytorchOrder = true;
    int m_shown = -1;
    TensorPtr m_displayed;
    std::vector<int> m_order;
    Selection m_sel;
    std::optional<SliceSelection> m_sliceSel;
};

} // namespace ws
