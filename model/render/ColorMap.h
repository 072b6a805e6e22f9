// Colour maps (diverging for signed weights, sequential otherwise) and the
// mapping of values to colours, shared by the views and headless export.
#pragma once

#include <QColor>
#include <QString>
#include <QStringList>
#include <QVector>
#include <utility>

namespace ws {

/// A colour map defined by evenly spaced colour stops, as matplotlib's tables.
class ColorMap {
public:
    /// Names of the built-in maps: "RdBu", "coolwarm", "viridis", "magma", "cividis", "gray".
    static QStringList names();
    /// A built-in map by name (case-insensitive; suffix "_r" inverts); false if unknown.
    static bool byName(const QString& name, ColorMap* out);
    /// The default map for data in [lo, hi]: diverging when signed, else sequential.
    static QString defaultFor(double lo, double hi);

    QString name() const { return m_name; }
    bool isDiverging() const { return m_diverging; }
    /// Colour at position t in [0, 1] (clamped), linear between stops.
    QRgb colorAt(double t) const;
    /// The stops, for building a QCPColorGradient.
    const QVector<QColor>& stops() const { return m_stops; }

private:
    QString m_name;
    bool m_diverging = false;
    QVector<QColor> m_stops;
};

/// Default display range: symmetric +-max|x| for signed data, [min, max] otherwise.
std::pair<double, double> defaultRange(double min, double max);

} // namespace ws
