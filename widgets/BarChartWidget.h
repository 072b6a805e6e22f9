// A 1-D tensor (bias, norm scale) as a bar chart: one bar per element, pooled to
// the largest-magnitude value per pixel column for long vectors; zoom and pan on x.
#pragma once

#include "MatrixSource.h"
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

    /// Redraws after the values changed in place (an edit): keeps the zoom.
    void refreshValues();
    /// New values of the same tensor (after an edit): keeps the view.
    void updateValues(std::shared_ptr<const MatrixF> values);
    /// Titles the chart as differences from the original (no bar dragging then).
    void setDifferenceMode(bool on);
    /// Whether bars can be dragged to set their value (barDragged()).
    void setEditable(bool on) { m_editable = on; }
    /// Shows the selected index range; \a count 0 hides it.
    void setSelectionRange(int64_t first, int64_t count);
    QCPItemRect* selectionItem() const { return m_selectionItem; }
    /// The element index under widget x position \a x.
    int64_t indexAt(double x) const;

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
    /// Bar \a index was dragged to \a value; all moves of one drag share \a gestureKey.
    void barDragged(int64_t index, double value, int gestureKey);
    /// An index range chosen with Shift+drag.
    void rangeSelected(int64_t first, int64_t count);

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void clampRange();
    void fitValueAxis();
    bool hitsBar(const QPointF& pos, int64_t* index) const;

    std::shared_ptr<const MatrixF> m_values;
    TensorPtr m_tensor;
    QCPBars* m_bars = nullptr;
    QCPTextElement* m_title = nullptr;
    PooledGrid m_grid;
    QTimer m_timer;
    bool m_clamping = false;
    bool m_diff = false, m_editable = true;
    QCPItemRect* m_selectionItem = nullptr;
    int64_t m_dragIndex = -1;
    int m_dragKey = 0;
    bool m_banding = false;
    int64_t m_bandStart = 0, m_bandEnd = 0;
};

} // namespace ws
