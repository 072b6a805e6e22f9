// Views of tensors with more than two dimensions: which axes are rows and columns,
// the index of every other axis (sliders), or a mosaic of conv kernels; plus the
// gathering of that view from the tensor's C-order values.
#pragma once

#include "Tensor.h"

#include <QWidget>
#include <vector>

class QComboBox;
class QGridLayout;

namespace ws {

/// Which 2-D view of an n-D tensor is shown.
struct SliceSpec {
    enum class Mode { Flattened, Slice, Mosaic };
    Mode mode = Mode::Flattened;
    int rowAxis = 0, colAxis = 1;
    std::vector<int64_t> index; ///< one per axis; rows/cols axes ignored
    /// Which value of a complex tensor's elements is shown (kept across tensors).
    ComplexPart part = ComplexPart::Real;

    /// Rows and columns of the view of a tensor of \a shape.
    void viewSize(const std::vector<int64_t>& shape, int64_t* rows, int64_t* cols) const;
    /// C-order flat index of view cell (\a row, \a col), or -1 for a mosaic gap.
    int64_t flatIndex(const std::vector<int64_t>& shape, int64_t row, int64_t col) const;
    /// The view cell showing flat index \a flat; false when this view does not show it.
    bool cellOf(const std::vector<int64_t>& shape, int64_t flat, int64_t* row, int64_t* col) const;
    /// Fills \a out with the view of \a flat (the tensor's values in C order); mosaic gaps NaN.
    void gather(const std::vector<int64_t>& shape, const float* flat, MatrixF* out) const;
};

/// Controls above the heatmap: view mode, row and column axes, one slider per other axis.
class SliceControls : public QWidget {
    Q_OBJECT
public:
    explicit SliceControls(QWidget* parent = nullptr);
    /// Rebuilds the controls for \a shape; keeps the choice when the shape is the same.
    /// \a complex shows the choice of the complex part (real, imaginary, magnitude,
    /// phase); the slice choices show for rank > 2 only.
    void setShape(const std::vector<int64_t>& shape, bool complex = false);
    /// True when the controls have something to offer for the shape given.
    bool hasChoices() const { return m_shape.size() > 2 || m_complex; }
    const SliceSpec& spec() const { return m_spec; }
    /// Changes the view (clamped to the shape) and updates the controls.
    void setSpec(const SliceSpec& spec);

Q_SIGNALS:
    void changed();

private:
    void rebuild();
    std::vector<int64_t> m_shape;
    SliceSpec m_spec;
    QComboBox* m_mode = nullptr;
    QComboBox* m_rows = nullptr;
    QComboBox* m_cols = nullptr;
    QWidget* m_sliders = nullptr;
    QWidget* m_sliceBox = nullptr; ///< mode, rows, columns, sliders
    QWidget* m_partBox = nullptr;  ///< the complex part
    QComboBox* m_part = nullptr;
    bool m_complex = false;
    bool m_updating = false;
};

} // namespace ws
