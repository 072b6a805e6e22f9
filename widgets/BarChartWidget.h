// A 1-D tensor (bias, norm scale) as a bar chart: one bar per element, pooled to
// the largest-magnitude value per pixel column for long vectors; zoom and pan on x.
#pragma once

#include "HeatmapPooling.h"
#include "Tensor.h"

#include <QTimer>
#include <memory>
#include <qcustomplot.h>

namespace ws {

class BarChartWidget : public QCustomPlot {
    Q_OBJECT
public:
    explicit BarChartWidget(QWidget* parent = nullptr);

    /// Shows \a values (1 x n); \a tensor (may be null) gives name and dtype.
    void setValues(std::shared_ptr<const MatrixF> values, TensorPtr tensor);
    void clear();
    void setTitle(const QString& title);

    /// "index 4: 0.25"; empty outside the vector.
    QString readoutAt(int64_t index) const;
    /// The bars drawn now (keys are element indices, or block centres when pooled).
    QCPBars* bars() const { return m_bars; }
    const PooledGrid& grid() const { return m_grid; }

public Q_SLOTS:
    void resetView();
    void updateBars();

Q_SIGNALS:
    void hoverText(const QString& text);

protected:
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void clampRange();

    std::shared_ptr<const MatrixF> m_values;
    TensorPtr m_tensor;
    QCPBars* m_bars = nullptr;
    QCPTextElement* m_title = nullptr;
    PooledGrid m_grid;
    QTimer m_timer;
    bool m_clamping = false;
};

} // namespace ws
