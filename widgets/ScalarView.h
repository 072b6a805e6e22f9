// A 0-D tensor: its value shown large, with name and dtype underneath.
#pragma once

#include "Tensor.h"

#include <QLabel>
#include <QWidget>

namespace ws {

class ScalarView : public QWidget {
    Q_OBJECT
public:
    explicit ScalarView(QWidget* parent = nullptr);
    /// Shows \a value of \a tensor (which may be null).
    void setValue(double value, TensorPtr tensor);
    QString valueText() const { return m_value->text(); }

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void fitFonts();

    QLabel* m_value = nullptr;
    QLabel* m_caption = nullptr;
};

} // namespace ws
