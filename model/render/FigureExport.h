// Figure files at a physical size: PNG (our encoder, with the resolution in its
// pHYs chunk), PDF (the page is the figure, images lossless) and SVG (size in
// points), each written to a temporary file that replaces the target only when
// complete. Heatmaps go through renderFigure; other plots paint on the device.
#pragma once

#include "ColorScale.h"
#include "FigureOptions.h"
#include "MatrixSource.h"

#include <QBuffer>
#include <QImage>
#include <QSaveFile>
#include <QString>
#include <memory>

class QPaintDevice;
class QPdfWriter;
class QSvgGenerator;

namespace ws {

/// Pixels of a figure \a points long at \a dpi (rounded).
int pixelsFor(double points, double dpi);

/// One figure file being written. open(), paint on device() with a QPainter (ended
/// before finish()), then finish().
class FigureFile {
public:
    FigureFile();
    ~FigureFile();
    FigureFile(const FigureFile&) = delete;
    FigureFile& operator=(const FigureFile&) = delete;

    /// Prepares \a path (.png, .pdf or .svg) for a widthPt x heightPt figure; a PNG has
    /// pixelsFor(widthPt, dpi) x pixelsFor(heightPt, dpi) pixels. \a title goes into the
    /// file's metadata. Nothing is written yet; false and \a error for an unknown type,
    /// a missing directory or a target that is a directory.
    /// \a deviceDpi, when not 0, is the device's logical resolution while painting
    /// (for painters that measure text at the screen's resolution, as QCustomPlot
    /// does); a PNG painter then scales by deviceScale().
    bool open(const QString& path, double widthPt, double heightPt, double dpi,
              const QString& title, QString* error, double deviceDpi = 0);
    QPaintDevice* device() const;
    /// The figure's size as the file has it: a PDF's page is in whole points (Qt writes
    /// the page box so), a PNG's and an SVG's exactly the size asked for.
    double widthPt() const { return m_widthPt; }
    double heightPt() const { return m_heightPt; }
    /// Device pixels per unit a painter should scale by: dpi / deviceDpi for a PNG
    /// opened with a deviceDpi, else 1.
    double deviceScale() const { return m_scale; }
    /// Writes the file; false and \a error naming it when it cannot.
    bool finish(QString* error);

private:
    QString m_path, m_format, m_title;
    double m_widthPt = 0, m_heightPt = 0, m_dpi = 0, m_scale = 1;
    QImage m_image;
    std::unique_ptr<QSaveFile> m_file;
    std::unique_ptr<QPdfWriter> m_pdf;
    std::unique_ptr<QBuffer> m_svgBytes;
    std::unique_ptr<QSvgGenerator> m_svg;
};

/// Writes the heatmap figure of \a source (renderFigure) to \a path: .png, .pdf or .svg.
bool writeFigure(const QString& path, const MatrixSource& source, const ColorScale& spec,
                 const FigureOptions& options, QString* error);

/// The heatmap figure as an image of pixelsFor(width, dpi) x pixelsFor(height, dpi)
/// pixels (the clipboard's copy); null and \a error when the source cannot be read.
QImage figureImage(const MatrixSource& source, const ColorScale& spec, const FigureOptions& options,
                   QString* error);

} // namespace ws
