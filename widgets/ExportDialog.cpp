// Export of the plot on screen to PNG, SVG or PDF, and the dialog that asks how.
#include "ExportDialog.h"

#include "PlotExport.h"
#include "PlotStyle.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QSvgGenerator>
#include <cmath>
#include <qcustomplot.h>

namespace ws {

namespace {

// Temporarily hides the title and/or colour bar and scales the fonts; restores on exit.
class ExportState {
public:
    ExportState(QCustomPlot* plot, const PlotImageOptions& o, int width, int height)
        : m_plot(plot) {
        QCPLayoutGrid* grid = plot->plotLayout();
        for (int i = 0; i < grid->elementCount(); ++i) {
            if (auto* t = qobject_cast<QCPTextElement*>(grid->elementAt(i))) {
                m_title = t;
                m_titleText = t->text();
                m_titleVisible = t->visible();
                if (!o.title.isEmpty()) t->setText(o.title);
                t->setVisible(o.showTitle && !t->text().isEmpty());
            }
            if (auto* s = qobject_cast<QCPColorScale*>(grid->elementAt(i)); s && !o.showColorBar) {
                grid->indexToRowCol(i, m_scaleRow, m_scaleCol);
                m_scale = s;
                grid->take(s);
                s->setVisible(false);
            }
        }
        if (m_scale) grid->simplify();
        m_font = std::max(1.0, std::min(width, height) / 700.0);
        scalePlotFonts(plot, m_font);
    }
    ~ExportState() {
        scalePlotFonts(m_plot, 1.0 / m_font);
        if (m_title) {
            m_title->setText(m_titleText);
            m_title->setVisible(m_titleVisible);
        }
        if (m_scale) {
            m_scale->setVisible(true);
            m_plot->plotLayout()->addElement(m_scaleRow, m_scaleCol, m_scale);
        }
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }

private:
    QCustomPlot* m_plot;
    QCPTextElement* m_title = nullptr;
    QString m_titleText;
    bool m_titleVisible = false;
    QCPColorScale* m_scale = nullptr;
    int m_scaleRow = 0, m_scaleCol = 0;
    double m_font = 1;
};

} // namespace

bool exportPlot(QCustomPlot* plot, const QString& path, const PlotImageOptions& o, QString* error) {
    const QString format = QFileInfo(path).suffix().toLower();
    const auto fail = [error](const QString& m) {
        if (error) *error = m;
        return false;
    };
    if (format != QLatin1String("png") && format != QLatin1String("svg") &&
        format != QLatin1String("pdf"))
        return fail(
            QObject::tr("%1: unknown image type '%2' (use .png, .svg or .pdf)").arg(path, format));
    if (o.width < 16 || o.height < 16 || o.width > 16384 || o.height > 16384 || o.dpi < 10 ||
        o.dpi > 4800)
        return fail(QObject::tr("image size %1 x %2 at %3 dpi is out of range")
                        .arg(o.width)
                        .arg(o.height)
                        .arg(o.dpi));
    ExportState state(plot, o, o.width, o.height);
    return savePlotFile(plot, path, o.width, o.height, QString(), o.dpi, error);
}

QImage plotImage(QCustomPlot* plot, int width, int height) {
    PlotImageOptions o;
    ExportState state(plot, o, width, height);
    return plot->toPixmap(width, height, 1.0).toImage();
}

ExportDialog::ExportDialog(QCustomPlot* plot, QWidget* parent) : QDialog(parent), m_plot(plot) {
    setWindowTitle(tr("Export Image"));
    auto* form = new QFormLayout(this);
    auto spin = [this](int lo, int hi, int v) {
        auto* s = new QSpinBox(this);
        s->setRange(lo, hi);
        s->setValue(v);
        return s;
    };
    m_width = spin(16, 16384, 1600);
    m_height = spin(16, 16384, 1200);
    m_dpi = spin(10, 4800, 300);
    form->addRow(tr("Width (pixels):"), m_width);
    form->addRow(tr("Height (pixels):"), m_height);
    form->addRow(tr("Resolution (DPI):"), m_dpi);
    m_format = new QComboBox(this);
    m_format->addItem(tr("PNG image"), QStringLiteral("png"));
    m_format->addItem(tr("SVG drawing"), QStringLiteral("svg"));
    m_format->addItem(tr("PDF document"), QStringLiteral("pdf"));
    form->addRow(tr("Format:"), m_format);
    m_showTitle = new QCheckBox(tr("Show title"), this);
    m_showTitle->setChecked(true);
    m_title = new QLineEdit(this);
    m_title->setPlaceholderText(tr("(the plot's own title)"));
    form->addRow(m_showTitle, m_title);
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
    connect(m_showTitle, &QCheckBox::toggled, m_title, &QWidget::setEnabled);
}

PlotImageOptions ExportDialog::options() const {
    PlotImageOptions o;
    o.width = m_width->value();
    o.height = m_height->value();
    o.dpi = m_dpi->value();
    o.showTitle = m_showTitle->isChecked();
    o.title = m_title->text();
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
    m_width->setValue(width);
    m_height->setValue(height);
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
