// Statistics panel for the selected tensor.
#include "StatsPanel.h"

#include "LayerTree.h"
#include "PlotStyle.h"

#include <QFormLayout>
#include <QLocale>
#include <QVBoxLayout>

namespace ws {

namespace {

struct FieldDef {
    const char* key;
    const char* label;
};

const FieldDef kFields[] = {
    {"shape", QT_TRANSLATE_NOOP("ws::StatsPanel", "Shape")},
    {"dtype", QT_TRANSLATE_NOOP("ws::StatsPanel", "DType")},
    {"encoding", QT_TRANSLATE_NOOP("ws::StatsPanel", "Encoding")},
    {"elements", QT_TRANSLATE_NOOP("ws::StatsPanel", "Elements")},
    {"min", QT_TRANSLATE_NOOP("ws::StatsPanel", "Min")},
    {"max", QT_TRANSLATE_NOOP("ws::StatsPanel", "Max")},
    {"mean", QT_TRANSLATE_NOOP("ws::StatsPanel", "Mean")},
    {"std", QT_TRANSLATE_NOOP("ws::StatsPanel", "Std")},
    {"l2", QT_TRANSLATE_NOOP("ws::StatsPanel", "L2 norm")},
    {"zeros", QT_TRANSLATE_NOOP("ws::StatsPanel", "Zeros")},
    {"nan", QT_TRANSLATE_NOOP("ws::StatsPanel", "NaN / Inf")},
    {"linked", QT_TRANSLATE_NOOP("ws::StatsPanel", "Shared storage with")},
};

QString num(double v) {
    return QString::number(v, 'g', 7);
}

} // namespace

StatsPanel::StatsPanel(QWidget* parent) : QWidget(parent) {
    auto* outer = new QVBoxLayout(this);
    m_name = new QLabel(this);
    m_name->setWordWrap(true);
    m_name->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont bold = font();
    bold.setBold(true);
    m_name->setFont(bold);
    outer->addWidget(m_name);
    auto* form = new QFormLayout;
    form->setLabelAlignment(Qt::AlignRight);
    // Long wrapped values (an encoding's description) get the height their lines need.
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    for (const FieldDef& f : kFields) {
        auto* label = new QLabel(this);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        label->setWordWrap(true);
        QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Minimum);
        policy.setHeightForWidth(true);
        label->setSizePolicy(policy);
        form->addRow(tr(f.label) + QLatin1Char(':'), label);
        m_fields.insert(QLatin1String(f.key), label);
    }
    outer->addLayout(form);
    m_compute = new QPushButton(this);
    m_compute->hide();
    connect(m_compute, &QPushButton::clicked, this, &StatsPanel::computeRequested);
    outer->addWidget(m_compute, 0, Qt::AlignLeft);
    outer->addStretch(1);
    clear();
}

void StatsPanel::set(const QString& key, const QString& text) {
    // A zero-width space after dots and underscores lets long names wrap between their
    // parts instead of at an arbitrary letter (which the label's height misjudges).
    QString wrappable = text;
    if (key == QLatin1String("encoding") || key == QLatin1String("linked")) {
        wrappable.replace(QLatin1Char('.'), QStringLiteral(".\u200b"));
        wrappable.replace(QLatin1Char('_'), QStringLiteral("_\u200b"));
    }
    if (QLabel* l = m_fields.value(key)) l->setText(wrappable);
}

QString StatsPanel::value(const QString& key) const {
    const QLabel* l = m_fields.value(key);
    return l ? l->text().remove(QChar(0x200b)) : QString();
}

QAbstractButton* StatsPanel::computeButton() const {
    return m_compute;
}

void StatsPanel::offer(const WeightFile& file, const TensorPtr& tensor, const QString& message,
                       const QString& button) {
    showHeader(file, tensor);
    set(QStringLiteral("min"), message);
    m_compute->setText(button);
    m_compute->show();
}

void StatsPanel::clear() {
    m_compute->hide();
    m_name->setText(tr("No tensor selected"));
    for (QLabel* l : std::as_const(m_fields))
        l->clear();
}

void StatsPanel::showHeader(const WeightFile& file, const TensorPtr& tensor) {
    clear();
    if (!tensor) return;
    m_name->setText(tensor->name);
    set(QStringLiteral("shape"), tensor->shapeString());
    set(QStringLiteral("dtype"), tensor->typeName());
    // How stored blocks become the values shown (block size, scales, bits per weight),
    // so that a user can trust what they see; or why the tensor cannot be read.
    if (!tensor->problem.isEmpty())
        set(QStringLiteral("encoding"), tensor->problem);
    else if (tensor->encoding)
        set(QStringLiteral("encoding"), tensor->encoding->description());
    else
        set(QStringLiteral("encoding"), tr("plain %1 values").arg(dtypeName(tensor->dtype)));
    set(QStringLiteral("elements"), QLocale::c().toString(qlonglong(tensor->numel())));
    // The shown tensor may be a view of itself (Keras kernels shown (out, in)): never
    // "shared with" its own name.
    QStringList linked = file.linkedTo(*tensor);
    linked.removeAll(tensor->name);
    set(QStringLiteral("linked"), linked.isEmpty() ? tr("none") : linked.join(QLatin1String(", ")));
}

void StatsPanel::setTensor(const WeightFile& file, const TensorPtr& tensor) {
    if (!tensor) {
        clear();
        return;
    }
    TensorStats stats;
    QString error;
    if (computeStats(*tensor, &stats, &error))
        showStats(file, tensor, stats);
    else
        showError(file, tensor, error);
}

void StatsPanel::showStats(const WeightFile& file, const TensorPtr& tensor, const TensorStats& s) {
    showHeader(file, tensor);
    if (!tensor) return;
    const DType d = tensor->dtype;
    set(QStringLiteral("min"), formatValue(s.min, d));
    set(QStringLiteral("max"), formatValue(s.max, d));
    set(QStringLiteral("mean"), num(s.mean));
    set(QStringLiteral("std"), num(s.std));
    set(QStringLiteral("l2"), num(s.l2));
    set(QStringLiteral("zeros"),
        QStringLiteral("%1 %").arg(QString::number(s.zeroFraction * 100, 'g', 4)));
    set(QStringLiteral("nan"), QStringLiteral("%1 / %2").arg(s.nanCount).arg(s.infCount));
}

void StatsPanel::showError(const WeightFile& file, const TensorPtr& tensor, const QString& error) {
    showHeader(file, tensor);
    set(QStringLiteral("min"), error);
}

} // namespace ws
