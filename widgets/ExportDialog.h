// File > Export Image: the dialog that asks for the figure's physical size and
// unit, font size, resolution, format, title and labels, then exports the plot on
// screen through exportPlot (PlotImage.h). Its number fields select their text on
// focus, so typing replaces the pre-filled value.
#pragma once

#include "PlotImage.h"

#include <QDialog>
#include <QString>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace ws {

class ExportDialog : public QDialog {
    Q_OBJECT
public:
    explicit ExportDialog(QCustomPlot* plot, QWidget* parent = nullptr);
    PlotImageOptions options() const;
    QString path() const;
    void setPath(const QString& path);
    /// Sets the size in pixels at the current resolution (the unit becomes px).
    void setImageSize(int width, int height);
    /// Replaces the axis labels taken from the plot (e.g. "in" / "out" for a Linear weight).
    void setAxisLabels(const QString& x, const QString& y);
    /// Exports with the current settings; false (and a message box unless \a quiet) on error.
    bool exportNow(bool quiet = false, QString* error = nullptr);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    double toPoints(double value) const;
    double fromPoints(double points) const;
    void showSize();

    QCustomPlot* m_plot = nullptr;
    PlotImageOptions m_defaults;
    double m_widthPt = FigureOptions::kDefaultWidthPt, m_heightPt = FigureOptions::kDefaultHeightPt;
    QDoubleSpinBox* m_width = nullptr;
    QDoubleSpinBox* m_height = nullptr;
    QComboBox* m_unit = nullptr;
    QDoubleSpinBox* m_fontSize = nullptr;
    QSpinBox* m_dpi = nullptr;
    QComboBox* m_format = nullptr;
    QLineEdit* m_title = nullptr;
    QLineEdit* m_xLabel = nullptr;
    QLineEdit* m_yLabel = nullptr;
    QLineEdit* m_colorBarLabel = nullptr;
    QCheckBox* m_colorBar = nullptr;
    QLineEdit* m_path = nullptr;
};

} // namespace ws
