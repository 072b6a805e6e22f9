// Per-feature importance of a 2-D weight: the L2 norm of each input column and of
// each output row as two bar charts, optionally sorted by norm.
#pragma once

#include "Tensor.h"

#include <QWidget>
#include <vector>

class QCheckBox;
class QCustomPlot;

namespace ws {

class FeatureImportanceWidget : public QWidget {
    Q_OBJECT
public:
    explicit FeatureImportanceWidget(QWidget* parent = nullptr);
    void setMatrix(const MatrixF& m);
    /// Norms computed elsewhere (columnNorms / rowNorms of the matrix).
    void setNorms(std::vector<double> inputs, std::vector<double> outputs);
    void clear();
    void setSorted(bool on);
    const std::vector<double>& inputNorms() const { return m_cols; }
    const std::vector<double>& outputNorms() const { return m_rows; }

private:
    void redraw();
    std::vector<double> m_cols, m_rows;
    QCustomPlot* m_inPlot = nullptr;
    QCustomPlot* m_outPlot = nullptr;
    QCheckBox* m_sort = nullptr;
};

} // namespace ws
