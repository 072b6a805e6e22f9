// What the HDF5 reader found in a file, and how Keras files (Keras 2 .h5 models
// and weights, Keras 3 .weights.h5) order and name those datasets.
#pragma once

#include "Hdf5Format.h"
#include "Hdf5Library.h"
#include "WeightFile.h"

namespace ws {

/// One numeric dataset of an HDF5 file.
struct Hdf5Dataset {
    QString path; ///< without the leading slash: "model_weights/dense/dense/kernel:0"
    DType dtype = DType::Float32;
    std::vector<int64_t> shape;
    bool inputMajor = false;
    /// Where the elements lie in the file exactly as a Tensor holds them (contiguous,
    /// allocated, native little-endian type), or -1 (read through the HDF5 library).
    qint64 rawOffset = -1;
};

/// Everything a walk of an HDF5 file found, in walk order.
struct Hdf5Layout {
    std::vector<Hdf5Dataset> datasets;
    QStringList otherEntries; ///< "path: reason" for datasets that are not tensors
    std::vector<ModuleInfo> modules;
    QString formatName = QStringLiteral("HDF5");
};

/// Recognises Keras 2 (`layer_names`/`weight_names`) and Keras 3 (`layers/.../vars/i`)
/// files and reorders \a layout's datasets as Keras lists them, marks input-major
/// kernels and names the layers. Other files are left as they are. Needs the HDF5
/// lock held and \a file open.
///
/// Layer tree: Keras 2 layer groups (`model_weights/dense`) get their class from
/// `model_config` (else guessed from the group name) and appear in `layer_names`
/// order, weightless layers included. Keras 3 layer folders (`layers/dense_1`) get
/// the class guessed from the folder name, followed by the layer's own name from
/// `vars`' `name` attribute when it differs from the folder: "Dense (head)". The
/// name also goes into ModuleInfo::qualifiedName. Tensor names stay dataset paths.
void applyKerasLayout(hid_t file, Hdf5Layout* layout);

} // namespace ws
