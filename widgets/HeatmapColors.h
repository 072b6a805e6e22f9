// Exact colouring of heatmap cells through ws::ColorScale (non-linear scales,
// distinct under/over/NaN colours) and colour-bar ticks that name original values.
#pragma once

#include "ColorScale.h"
#include "Tensor.h"

#include <QMap>
#include <qcustomplot.h>

namespace ws {

/// How the heatmap chooses its colour range.
enum class RangeMode {
    Auto,       ///< symmetric for signed data, min..max otherwise (optionally clipped)
    MinMax,     ///< finite min..max
    Symmetric,  ///< +-max|x|
    Percentile, ///< [p_lo, p_hi] percentiles (numpy's linear interpolation)
    Manual      ///< a fixed range
};

/// A QCPColorMap whose cells are coloured by ColorScale::colorOf rather than by the
/// gradient, so that values outside the range get the under/over colours exactly.
/// The gradient and data range still drive the colour bar.
class ScaledColorMap : public QCPColorMap {
public:
    ScaledColorMap(QCPAxis* keyAxis, QCPAxis* valueAxis);
    void setColorSpec(const ColorScale& spec);
    const ColorScale& colorSpec() const { return m_spec; }
    /// Must be called after cells changed through data()->setCell().
    void invalidate() { m_dirty = true; }

protected:
    void updateMapImage() override;

private:
    ColorScale m_spec;
    bool m_dirty = true;
};

/// Colour-bar ticks for \a spec: positions in transformed space, labels in original values.
QMap<double, QString> colorBarTicks(const ColorScale& spec);

/// The range \a mode gives for a matrix whose finite values span [\a dataMin, \a dataMax]
/// exactly and of which \a values are all or an even sample (\a pLo / \a pHi: percentiles,
/// taken from \a values). For the log scale the range is over |x| and its low end is the
/// smallest non-zero magnitude of \a values.
std::pair<double, double> computeColorRange(const float* values, int64_t n, RangeMode mode,
                                            ColorScale::Scale scale, double pLo, double pHi,
                                            double dataMin, double dataMax);

/// Under and over colours that stand out against \a map's own colours.
void chooseOutOfRangeColors(ColorScale* spec);

} // namespace ws
