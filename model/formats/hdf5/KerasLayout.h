// How Keras files (Keras 2 .h5 models and weights, Keras 3 .weights.h5 and the
// weights inside .keras archives) order and name the datasets an HDF5 scan found.
#pragma once

#include "Hdf5Format.h"
#include "Hdf5Scan.h"
#include "WeightFile.h"

namespace ws {

/// A scanned HDF5 file as the reader presents it.
struct Hdf5Layout {
    std::vector<Hdf5Dataset> datasets; ///< in the order Keras lists them, others after
    QStringList otherEntries;          ///< "path: reason" for datasets that are not tensors
    std::vector<ModuleInfo> modules;
    QString formatName = QStringLiteral("HDF5");
    QMap<QString, QString> metadata; ///< short string attributes of the root group
};

/// Recognises Keras 2 (`layer_names`/`weight_names`) and Keras 3 (`layers/.../vars/i`)
/// files in \a scan, orders the datasets as Keras lists them, marks input-major
/// kernels and names the layers. Other files keep walk order.
///
/// Layer tree: Keras 2 layer groups (`model_weights/dense`) get their class from
/// `model_config` (else guessed from the group name) and appear in `layer_names`
/// order, weightless layers included. Keras 3 layer folders (`layers/dense_1`), each
/// with a `vars` group (weightless layers too, since Keras 3.6), get the class guessed
/// from the folder name, followed by the layer's own name from `vars`' `name`
/// attribute when it differs from the folder: "Dense (head)". The name also goes into
/// ModuleInfo::qualifiedName. Tensor names stay dataset paths.
Hdf5Layout kerasLayout(Hdf5Scan scan);

/// "Dense (head)": \a className, then \a name when it is not the folder's own name.
QString kerasShownClass(const QString& className, const QString& name, const QString& folder);

} // namespace ws
