// File > Export Image: size in pixels, DPI, PNG/SVG/PDF, title and colour-bar
// toggles, applied to the plot on screen (its colours, scale, slice and zoom).
#pragma once

#include <QDialog>
#include <QString>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLineEdit;
class QSpinBox;

namespace ws {

struct PlotImageOptions {
    int width = 1600, height = 1200; ///< pixels (PNG) or points at 72 dpi scaled by dpi (PDF)
    int dpi = 150;
    bool showTitle = true;
    QString title; ///< empty keeps the plot's own title
    bool showColorBar = true;
};

/// Renders \a plot to \a path (.png, .svg or .pdf) with \a options; the plot is left as
/// it was. A PNG is exactly width x height pixels and records the DPI.
bool exportPlot(QCustomPlot* plot, const QString& path, const PlotImageOptions& options,
                QString* error);
/// The plot as an image of \a width x \a height pixels (for the clipboard).
QImage plotImage(QCustomPlot* plot, int width, int height);

class ExportDialog : public QDialog {
    Q_OBJECT
public:
    explicit ExportDialog(QCustomPlot* plot, QWidget* parent = nullptr);
    PlotImageOptions options() const;
    QString path() const;
    void setPath(const QString& path);
    void setImageSize(int width, int height);
    /// Exports with the current settings; false (and a message box unless \a quiet) on error.
    bool exportNow(bool quiet = false, QString* error = nullptr);

private:
    QCustomPlot* m_plot = nullptr;
    QSpinBox* m_width = nullptr;
    QSpinBox* m_height = nullptr;
    QSpinBox* m_dpi = nullptr;
    QComboBox* m_format = nullptr;
    QCheckBox* m_showTitle = nullptr;
    QLineEdit* m_title = nullptr;
    QCheckBox* m_colorBar = nullptr;
    QLineEdit* m_path = nullptr;
};

} // namespace ws
