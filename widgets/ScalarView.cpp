// A 0-D tensor's value in large type.
#include "ScalarView.h"

#include "PlotStyle.h"

#include <QVBoxLayout>
#include <algorithm>

namespace ws {

ScalarView::ScalarView(QWidget* parent) : QWidget(parent) {
    setAutoFillBackground(true);
    QPalette pal = palette();
    pal.setColor(QPalette::Window, Qt::white);
    pal.setColor(QPalette::WindowText, Qt::black);
    setPalette(pal);
    auto* layout = new QVBoxLayout(this);
    m_value = new QLabel(this);
    m_caption = new QLabel(this);
    QFont big = font();
    big.setBold(true);
    m_value->setFont(big);
    m_value->setAlignment(Qt::AlignHCenter | Qt::AlignBottom);
    m_caption->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
    m_value->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // The fonts follow the view's size (fitFonts): the labels must not set it, or a
    // long tensor name would push the docks aside.
    m_value->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_caption->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_value->setMinimumWidth(1);
    m_caption->setMinimumWidth(1);
    layout->addStretch(1);
    layout->addWidget(m_value);
    layout->addWidget(m_caption);
    layout->addStretch(1);
}

void ScalarView::setValue(double value, TensorPtr tensor) {
    const DType dtype = tensor ? tensor->dtype : DType::Float64;
    m_value->setText(formatValue(value, dtype));
    m_caption->setText(tensor ? tr("%1   (0-D %2)").arg(tensor->name, tensor->typeName())
                              : QString());
    fitFonts();
}

void ScalarView::fitFonts() {
    // The value fills a good part of the view, whatever its size (screen or export).
    const int chars = std::max<int>(4, int(m_value->text().size()));
    const int px = std::clamp(std::min(height() / 5, width() * 3 / (2 * chars)), 28, 400);
    QFont big = m_value->font();
    big.setPixelSize(px);
    m_value->setFont(big);
    QFont caption = m_caption->font();
    const int captionChars = std::max<int>(10, int(m_caption->text().size()));
    caption.setPixelSize(std::clamp(std::min(px / 3, width() * 8 / (5 * captionChars)), 12, 80));
    m_caption->setFont(caption);
}

void ScalarView::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    fitFonts();
}

} // namespace ws
