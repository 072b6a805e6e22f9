// The session's state changes in one place, so the window's parts cannot disagree
// on which tensor is shown or which cells are selected.
#include "TensorSession.h"
#include "TensorPermute.h"

#include <QThread>
#include <algorithm>

namespace ws {

TensorSession::TensorSession(QObject* parent) : QObject(parent) {}

TensorSession::~TensorSession() {
    closeDocument();
}

void TensorSession::setDocument(std::unique_ptr<WeightFile> file) {
    closeDocument();
    m_doc = std::shared_ptr<Document>(new Document(std::move(file)), [](Document* d) {
        if (QThread::currentThread() == d->thread())
            delete d;
        else
            d->deleteLater();
    });
    m_file = std::shared_ptr<WeightFile>(m_doc, &m_doc->file());
}

void TensorSession::closeDocument() {
    m_shown = -1;
    m_displayed.reset();
    m_order.clear();
    m_sel = Selection();
    m_sliceSel.reset();
    m_file.reset();
    m_doc.reset();
}

bool TensorSession::showTensor(int index) {
    if (!m_file || index < 0 || index >= int(m_file->tensors.size())) return false;
    const TensorPtr& t = m_file->tensors[size_t(index)];
    m_order = ws::pytorchOrder(*t);
    bool identity = true;
    for (size_t i = 0; i < m_order.size(); ++i)
        identity = identity && m_order[i] == int(i);
    if (identity || !m_pytorchOrder) {
        m_order.clear();
        m_displayed = t;
    } else {
        m_displayed = std::make_shared<Tensor>(permutedView(*t, m_order));
    }
    m_shown = index;
    m_sel = Selection();
    m_sliceSel.reset();
    return true;
}

Region TensorSession::toBase(const Region& r) const {
    return m_order.empty() ? r : regionToBase(r, m_order);
}

Region TensorSession::fromBase(const Region& r) const {
    return m_order.empty() ? r : regionFromBase(r, m_order);
}

void TensorSession::selectRect(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols) {
    m_sliceSel.reset();
    m_sel = Selection();
    if (!m_displayed) return;
    const Tensor& t = *m_displayed;
    m_sel.row = std::clamp<int64_t>(row0, 0, t.rows());
    m_sel.col = std::clamp<int64_t>(col0, 0, t.cols());
    m_sel.rows = std::clamp<int64_t>(nRows, 0, t.rows() - m_sel.row);
    m_sel.cols = std::clamp<int64_t>(nCols, 0, t.cols() - m_sel.col);
    if (m_sel.cols == 0) m_sel.rows = 0;
}

bool TensorSession::selectInSlice(int rowAxis, int colAxis, const std::vector<int64_t>& index,
                                  int64_t row0, int64_t col0, int64_t nRows, int64_t nCols) {
    if (!m_displayed) return false;
    const std::vector<int64_t>& shape = m_displayed->shape;
    const int rank = int(shape.size());
    if (rowAxis < 0 || colAxis < 0 || rowAxis >= rank || colAxis >= rank ||
        int(index.size()) < rank)
        return false;
    const int64_t R = shape[size_t(rowAxis)], C = shape[size_t(colAxis)];
    row0 = std::clamp<int64_t>(row0, 0, R);
    col0 = std::clamp<int64_t>(col0, 0, C);
    nRows = std::clamp<int64_t>(nRows, 0, R - row0);
    nCols = std::clamp<int64_t>(nCols, 0, C - col0);
    if (nRows == 0 || nCols == 0) {
        clearSelection();
        return false;
    }
    // Rows run along the row axis, columns along the column axis; every other axis
    // is at its index.
    Box box;
    for (int a = 0; a < rank; ++a) {
        const bool row = a == rowAxis, col = a == colAxis;
        box.start.push_back(row ? row0 : col ? col0 : index[size_t(a)]);
        box.size.push_back(row ? nRows : col ? nCols : 1);
    }
    SliceSelection sel;
    sel.row0 = row0;
    sel.col0 = col0;
    sel.rows = nRows;
    sel.cols = nCols;
    sel.region.addBox(std::move(box));
    if (!sel.region.fitsIn(*m_displayed)) return false;
    m_sel = Selection();
    m_sliceSel = std::move(sel);
    return true;
}

void TensorSession::clearSelection() {
    m_sel = Selection();
    m_sliceSel.reset();
}

bool TensorSession::editTarget(Region* out) const {
    if (!m_doc || m_shown < 0 || !m_displayed) return false;
    const Tensor& t = *m_displayed;
    if (m_sliceSel)
        *out = m_sliceSel->region;
    else
        *out = m_sel.isEmpty() ? Region::whole(t)
                               : Region::rect2d(t, m_sel.row, m_sel.col, m_sel.rows, m_sel.cols);
    return true;
}

} // namespace ws
