// The export dialog: size with a unit, font size, resolution, format and texts.
#include "ExportDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QTimer>
#include <cmath>
#include <qcustomplot.h>

namespace ws {

namespace {

// Points per unit of the unit combo box's entries; px depends on the resolution.
double pointsPer(const QString& unit, int dpi) {
    if (unit == QLatin1String("in")) return 72;
    if (unit == QLatin1String("cm")) return 72 / 2.54;
    if (unit == QLatin1String("mm")) return 72 / 25.4;
    if (unit == QLatin1String("px")) return 72.0 / std::max(1, dpi);
    return 1; // pt
}

} // namespace

ExportDialog::ExportDialog(QCustomPlot* plot, QWidget* parent)
    : QDialog(parent), m_plot(plot), m_defaults(plotDefaults(plot)) {
    setWindowTitle(tr("Export Image"));
    auto* form = new QFormLayout(this);
    auto number = [this](double lo, double hi, int decimals) {
        auto* s = new QDoubleSpinBox(this);
        s->setRange(lo, hi);
        s->setDecimals(decimals);
        s->installEventFilter(this);
        return s;
    };
    m_width = number(0.01, 100000, 2);
    m_height = number(0.01, 100000, 2);
    m_unit = new QComboBox(this);
    for (const char* u : {"in", "cm", "mm", "pt", "px"})
        m_unit->addItem(QString::fromLatin1(u), QString::fromLatin1(u));
    auto* sizeRow = new QHBoxLayout;
    sizeRow->addWidget(m_width, 1);
    sizeRow->addWidget(new QLabel(QStringLiteral("×"), this));
    sizeRow->addWidget(m_height, 1);
    sizeRow->addWidget(m_unit);
    form->addRow(tr("Size:"), sizeRow);
    m_fontSize = number(FigureOptions::kMinFontPt, 72, 1);
    m_fontSize->setSingleStep(0.5);
    m_fontSize->setSuffix(tr(" pt"));
    m_fontSize->setValue(m_defaults.fontSizePt);
    form->addRow(tr("Font size:"), m_fontSize);
    m_dpi = new QSpinBox(this);
    m_dpi->setRange(10, 4800);
    m_dpi->setValue(m_defaults.dpi);
    m_dpi->installEventFilter(this);
    form->addRow(tr("Resolution (DPI):"), m_dpi);
    m_format = new QComboBox(this);
    m_format->addItem(tr("PNG image"), QStringLiteral("png"));
    m_format->addItem(tr("SVG drawing"), QStringLiteral("svg"));
    m_format->addItem(tr("PDF document"), QStringLiteral("pdf"));
    form->addRow(tr("Format:"), m_format);
    auto line = [this](const QString& text, const QString& placeholder) {
        auto* e = new QLineEdit(text, this);
        e->setPlaceholderText(placeholder);
        return e;
    };
    m_title = line(m_defaults.title, tr("(no title)"));
    form->addRow(tr("Title:"), m_title);
    m_xLabel = line(m_defaults.xLabel, tr("(none)"));
    m_yLabel = line(m_defaults.yLabel, tr("(none)"));
    form->addRow(tr("X axis label:"), m_xLabel);
    form->addRow(tr("Y axis label:"), m_yLabel);
    m_colorBarLabel = line(m_defaults.colorBarLabel, tr("(none)"));
    form->addRow(tr("Colour bar label:"), m_colorBarLabel);
    m_colorBar = new QCheckBox(tr("Show colour bar"), this);
    m_colorBar->setChecked(true);
    form->addRow(QString(), m_colorBar);
    auto* pathRow = new QHBoxLayout;
    m_path = new QLineEdit(this);
    auto* browse = new QPushButton(tr("Browse…"), this);
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(browse);
    form->addRow(tr("File:"), pathRow);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    form->addRow(buttons);
    showSize();

    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        if (exportNow()) accept();
    });
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString ext = m_format->currentData().toString();
        const QString p = QFileDialog::getSaveFileName(this, tr("Export Image"), m_path->text(),
                                                       tr("%1 (*.%2)").arg(ext.toUpper(), ext));
        if (!p.isEmpty()) setPath(p);
    });
    connect(m_format, &QComboBox::currentIndexChanged, this, [this] {
        QString p = m_path->text();
        if (p.isEmpty()) return;
        const QFileInfo fi(p);
        m_path->setText(fi.path() + QLatin1Char('/') + fi.completeBaseName() + QLatin1Char('.') +
                        m_format->currentData().toString());
    });
    // The size is kept in points; the fields show it in the chosen unit.
    connect(m_width, &QDoubleSpinBox::valueChanged, this,
            [this](double v) { m_widthPt = toPoints(v); });
    connect(m_height, &QDoubleSpinBox::valueChanged, this,
            [this](double v) { m_heightPt = toPoints(v); });
    connect(m_unit, &QComboBox::currentIndexChanged, this, &ExportDialog::showSize);
    connect(m_dpi, &QSpinBox::valueChanged, this, &ExportDialog::showSize);
    connect(m_colorBar, &QCheckBox::toggled, m_colorBarLabel, &QWidget::setEnabled);
}

double ExportDialog::toPoints(double value) const {
    return value * pointsPer(m_unit->currentData().toString(), m_dpi->value());
}

double ExportDialog::fromPoints(double points) const {
    return points / pointsPer(m_unit->currentData().toString(), m_dpi->value());
}

void ExportDialog::showSize() {
    const bool px = m_unit->currentData().toString() == QLatin1String("px");
    const double w = m_widthPt, h = m_heightPt;
    const QSignalBlocker bw(m_width), bh(m_height);
    m_width->setDecimals(px ? 0 : 2);
    m_height->setDecimals(px ? 0 : 2);
    m_width->setValue(fromPoints(w));
    m_height->setValue(fromPoints(h));
}

bool ExportDialog::eventFilter(QObject* watched, QEvent* event) {
    // A pre-filled number is replaced by typing: select it when the field gets focus
    // (after the click that gave it focus has placed the cursor).
    if (event->type() == QEvent::FocusIn)
        if (auto* spin = qobject_cast<QAbstractSpinBox*>(watched))
            QTimer::singleShot(0, spin, &QAbstractSpinBox::selectAll);
    return QDialog::eventFilter(watched, event);
}

PlotImageOptions ExportDialog::options() const {
    PlotImageOptions o = m_defaults;
    o.widthPt = m_widthPt;
    o.heightPt = m_heightPt;
    o.dpi = m_dpi->value();
    o.fontSizePt = m_fontSize->value();
    o.title = m_title->text();
    o.xLabel = m_xLabel->text();
    o.yLabel = m_yLabel->text();
    o.colorBarLabel = m_colorBarLabel->text();
    o.showColorBar = m_colorBar->isChecked();
    return o;
}

QString ExportDialog::path() const {
    return m_path->text();
}

void ExportDialog::setPath(const QString& path) {
    m_path->setText(path);
    const int i = m_format->findData(QFileInfo(path).suffix().toLower());
    if (i >= 0) {
        QSignalBlocker block(m_format);
        m_format->setCurrentIndex(i);
    }
}

void ExportDialog::setImageSize(int width, int height) {
    {
        const QSignalBlocker block(m_unit);
        m_unit->setCurrentIndex(m_unit->findData(QStringLiteral("px")));
    }
    m_widthPt = width * 72.0 / m_dpi->value();
    m_heightPt = height * 72.0 / m_dpi->value();
    showSize();
}

void ExportDialog::setAxisLabels(const QString& x, const QString& y) {
    m_xLabel->setText(x);
    m_yLabel->setText(y);
}

bool ExportDialog::exportNow(bool quiet, QString* error) {
    QString message;
    QString p = m_path->text();
    if (p.isEmpty()) {
        message = tr("Choose a file name.");
    } else {
        if (QFileInfo(p).suffix().isEmpty())
            p += QLatin1Char('.') + m_format->currentData().toString();
        if (exportPlot(m_plot, p, options(), &message)) return true;
    }
    if (error) *error = message;
    if (!quiet) QMessageBox::warning(this, tr("Export Image"), message);
    return false;
}

} // namespace ws
