// The centre view: a heatmap for rank >= 2, a bar chart for rank 1, a large value
// for rank 0, or a message when the tensor cannot be shown.
#pragma once

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

    /// Loads \a tensor's values (on this thread) and shows them, or the error.
    void setTensor(TensorPtr tensor);
    /// Shows values already loaded (tensor->values()) of \a tensor.
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

public Q_SLOTS:
    void resetView();

Q_SIGNALS:
    void hoverText(const QString& text);

private:
    TensorPtr m_tensor;
    std::shared_ptr<const MatrixF> m_values;
    bool m_diff = false;
    HeatmapWidget* m_heatmap = nullptr;
    BarChartWidget* m_bars = nullptr;
    ScalarView* m_scalar = nullptr;
    QLabel* m_message = nullptr;
};

} // namespace ws
