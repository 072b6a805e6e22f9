// PNG, PDF and SVG figure files at their physical size.
#include "FigureExport.h"

#include "AtomicSave.h"
#include "FigureRenderer.h"
#include "PngWriter.h"

#include <QFileInfo>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QRegularExpression>
#include <QSvgGenerator>
#include <cmath>

namespace ws {

namespace {

/// Device units per inch of a PDF: fine enough that positions are exact to 0.001 pt
/// whatever the figure's raster resolution.
constexpr int kPdfResolution = 1200;

bool fail(QString* error, const QString& message) {
    if (error) *error = message;
    return false;
}

QByteArray points(double v) {
    return QByteArray::number(v, 'f', 3) + "pt";
}

} // namespace

int pixelsFor(double points, double dpi) {
    return std::max(1, int(std::lround(points / 72.0 * dpi)));
}

FigureFile::FigureFile() = default;

FigureFile::~FigureFile() = default;

bool FigureFile::open(const QString& path, double widthPt, double heightPt, double dpi,
                      const QString& title, QString* error, double deviceDpi) {
    m_path = path;
    m_dpi = dpi;
    m_title = title;
    m_widthPt = widthPt;
    m_heightPt = heightPt;
    m_format = QFileInfo(path).suffix().toLower();
    if (m_format != QLatin1String("png") && m_format != QLatin1String("svg") &&
        m_format != QLatin1String("pdf"))
        return fail(error, QStringLiteral("%1: unknown image type '%2' (use .png, .svg or .pdf)")
                               .arg(path, m_format));
    if (!(widthPt > 0) || !(heightPt > 0) || !(dpi > 0))
        return fail(error, QStringLiteral("%1: invalid figure size").arg(path));
    const QFileInfo target(path);
    if (!QFileInfo(target.absolutePath()).isDir())
        return fail(error, QStringLiteral("cannot write %1: no such directory").arg(path));
    if (target.isDir())
        return fail(error, QStringLiteral("cannot write %1: it is a directory").arg(path));
    if (m_format == QLatin1String("png")) {
        const int w = pixelsFor(widthPt, dpi), h = pixelsFor(heightPt, dpi);
        if (w > 32768 || h > 32768)
            return fail(error, QStringLiteral("%1: %2 x %3 pixels is too large (at most 32768)")
                                   .arg(path)
                                   .arg(w)
                                   .arg(h));
        m_image = QImage(w, h, QImage::Format_RGB32);
        const double painting = deviceDpi > 0 ? deviceDpi : dpi;
        m_scale = dpi / painting;
        const int dpm = int(std::lround(painting / 0.0254));
        m_image.setDotsPerMeterX(dpm);
        m_image.setDotsPerMeterY(dpm);
        m_image.fill(Qt::white);
        return true;
    }
    m_file = std::make_unique<QSaveFile>(path);
    if (!m_file->open(QIODevice::WriteOnly))
        return fail(error, QStringLiteral("cannot write %1: %2").arg(path, m_file->errorString()));
    if (m_format == QLatin1String("pdf")) {
        m_widthPt = std::round(widthPt);
        m_heightPt = std::round(heightPt);
        m_pdf = std::make_unique<QPdfWriter>(m_file.get());
        m_pdf->setTitle(title);
        m_pdf->setCreator(QStringLiteral("WeightScope"));
        m_pdf->setResolution(deviceDpi > 0 ? int(std::lround(deviceDpi)) : kPdfResolution);
        // The page is the figure (in whole points: Qt writes the page box so).
        m_pdf->setPageSize(QPageSize(QSizeF(m_widthPt, m_heightPt), QPageSize::Point, QString(),
                                     QPageSize::ExactMatch));
        m_pdf->setPageMargins(QMarginsF(0, 0, 0, 0));
    } else {
        // Drawn into memory first: the root's size is rewritten in exact points.
        m_svgBytes = std::make_unique<QBuffer>();
        m_svg = std::make_unique<QSvgGenerator>();
        m_svg->setOutputDevice(m_svgBytes.get());
        // One unit is one point unless the painter wants another resolution.
        const double res = deviceDpi > 0 ? deviceDpi : 72;
        m_svg->setResolution(int(std::lround(res)));
        const double w = widthPt / 72 * res, h = heightPt / 72 * res;
        m_svg->setSize(QSize(int(std::ceil(w)), int(std::ceil(h))));
        m_svg->setViewBox(QRectF(0, 0, w, h));
        m_svg->setTitle(title);
        m_svg->setDescription(QStringLiteral("WeightScope"));
    }
    return true;
}

QPaintDevice* FigureFile::device() const {
    if (m_pdf) return m_pdf.get();
    if (m_svg) return m_svg.get();
    return const_cast<QImage*>(&m_image);
}

bool FigureFile::finish(QString* error) {
    if (m_format == QLatin1String("png")) {
        const int dpm = int(std::lround(m_dpi / 0.0254));
        m_image.setDotsPerMeterX(dpm);
        m_image.setDotsPerMeterY(dpm);
        return writePng(m_image, m_path, m_title, error);
    }
    if (!m_file) return fail(error, QStringLiteral("cannot write %1").arg(m_path));
    if (m_svg) {
        QByteArray svg = m_svgBytes->data();
        // QSvgGenerator gives the size in whole millimetres of a whole-pixel size.
        static const QRegularExpression size(
            QStringLiteral("<svg([^>]*?) width=\"[^\"]*\" height=\"[^\"]*\""));
        QString text = QString::fromUtf8(svg);
        text.replace(size, QStringLiteral("<svg\\1 width=\"%1\" height=\"%2\"")
                               .arg(QString::fromLatin1(points(m_widthPt)),
                                    QString::fromLatin1(points(m_heightPt))));
        svg = text.toUtf8();
        if (m_file->write(svg) != svg.size()) {
            m_file->cancelWriting();
            return fail(error,
                        QStringLiteral("cannot write %1: %2").arg(m_path, m_file->errorString()));
        }
    }
    m_pdf.reset(); // flushed when its painter ended
    return commitSaveFile(*m_file, m_path, error);
}

bool writeFigure(const QString& path, const MatrixSource& source, const ColorScale& spec,
                 const FigureOptions& options, QString* error) {
    FigureFile file;
    if (!file.open(path, options.widthPt, options.heightPt, options.dpi, options.title, error))
        return false;
    FigureOptions o = options;
    o.widthPt = file.widthPt();
    o.heightPt = file.heightPt();
    QPainter painter;
    if (!painter.begin(file.device()))
        return fail(error, QStringLiteral("cannot write %1").arg(path));
    const bool ok = renderFigure(&painter, source, spec, o, error);
    painter.end();
    return ok && file.finish(error);
}

QImage figureImage(const MatrixSource& source, const ColorScale& spec, const FigureOptions& options,
                   QString* error) {
    QImage image(pixelsFor(options.widthPt, options.dpi), pixelsFor(options.heightPt, options.dpi),
                 QImage::Format_RGB32);
    const int dpm = int(std::lround(options.dpi / 0.0254));
    image.setDotsPerMeterX(dpm);
    image.setDotsPerMeterY(dpm);
    image.fill(Qt::white);
    QPainter painter(&image);
    if (!renderFigure(&painter, source, spec, options, error)) return QImage();
    painter.end();
    return image;
}

} // namespace ws
