// The centre view: a heatmap for rank >= 2 (with slice controls above it for
// rank > 2), a bar chart for rank 1, a large value for rank 0, or a message when
// the tensor cannot be shown.
#pragma once

#include "MatrixSource.h"
#include "SliceControls.h"
#include "Tensor.h"

#include <QLabel>
#include <QStackedWidget>
#include <memory>

namespace ws {

class BarChartWidget;
class HeatmapWidget;
class ScalarView;

class TensorView : public QStackedWidget {
    Q_OBJECT
public:
    explicit TensorView(QWidget* parent = nullptr);

    /// Shows \a tensor (read from its file on demand), or why it cannot be shown.
    void setTensor(TensorPtr tensor);
    /// Shows \a tensor's values minus \a original's (the same view without edits).
    void setDifference(TensorPtr tensor, TensorPtr original);
    /// Shows values already in memory (tests, derived matrices) for \a tensor.
    void showValues(TensorPtr tensor, std::shared_ptr<const MatrixF> values);
    /// Shows \a text in place of a plot (errors, "loading ...", "no file").
    void showMessage(const QString& text);
    void clear();
    /// Redraws the shown values after they changed in place (keeps the zoom).
    void refreshValues();
    /// Same when only a rectangle of the 2-D view changed (cheap on large tensors).
    void refreshValues(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols);
    /// Shows values as differences from the original (see HeatmapWidget::setDifferenceMode).
    void setDifferenceMode(bool on);

    TensorPtr tensor() const { return m_tensor; }
    HeatmapWidget* heatmap() const { return m_heatmap; }
    BarChartWidget* barChart() const { return m_bars; }
    ScalarView* scalarView() const { return m_scalar; }
    QString message() const { return m_message->text(); }
    SliceControls* sliceControls() const { return m_slice; }
    /// True when the heatmap shows a slice or mosaic rather than the 2-D (flattened) view.
    bool isSliced() const;
    /// Heatmap cell -> the tensor's 2-D (flattened) view cell; false for a mosaic gap.
    bool toMatrixCell(int64_t row, int64_t col, int64_t* mRow, int64_t* mCol) const;
    /// The tensor's 2-D view cell -> heatmap cell; false when the slice does not show it.
    bool fromMatrixCell(int64_t mRow, int64_t mCol, int64_t* row, int64_t* col) const;

public Q_SLOTS:
    void resetView();

Q_SIGNALS:
    void hoverText(const QString& text);

private:
    void display(TensorPtr tensor, TensorPtr original, std::shared_ptr<const MatrixF> values);
    void showHeatmap(bool resetView);
    /// The source of the heatmap for the current slice choice (difference applied).
    std::shared_ptr<const MatrixSource> heatmapSource(QString* error) const;
    /// \a t as the heatmap reads it: for a complex tensor, a copy reading the chosen part.
    TensorPtr shown(const TensorPtr& t) const;
    /// The 1-D or 0-D tensor's values (small), difference applied.
    bool smallValues(MatrixF* out, QString* error) const;
    void placeSliceControls();
    bool eventFilter(QObject* watched, QEvent* event) override;

    TensorPtr m_tensor;
    TensorPtr m_original;                    ///< set in difference mode
    std::shared_ptr<const MatrixF> m_values; ///< showValues() only
    SliceControls* m_slice = nullptr;
    bool m_diff = false;
    HeatmapWidget* m_heatmap = nullptr;
    BarChartWidget* m_bars = nullptr;
    ScalarView* m_scalar = nullptr;
    QLabel* m_message = nullptr;
};

} // namespace ws
