// PNG files for exported plots, encoded with zlib directly rather than through
// QImageWriter: Qt's PNG plug-in lets libpng try all five row filters on every
// row and deflates on one thread, 40 ms of a 135 ms headless export of a
// 1200 x 900 heatmap. Plots are drawn from a 256-colour table, so unfiltered
// rows compress best (the same colours recur as byte strings): 44% smaller and
// 3x faster at level 1, and the rows are deflated in parallel pieces.
#pragma once

#include <QByteArray>
#include <QImage>
#include <QString>

namespace ws {

/// The PNG encoding of \a image: 8-bit RGB, or RGBA when the image has an alpha
/// channel; its dots per metre as a pHYs chunk; \a title as a tEXt "Title".
QByteArray encodePng(const QImage& image, const QString& title = QString());

/// Writes encodePng(image, title) to \a path atomically; false and \a error naming
/// the file when it cannot be written.
bool writePng(const QImage& image, const QString& path, const QString& title, QString* error);

} // namespace ws
