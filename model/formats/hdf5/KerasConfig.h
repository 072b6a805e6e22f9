// The layers of a Keras 3 model from its config.json (class names, layer names,
// nested models), matched to the `vars` groups of its model.weights.h5.
#pragma once

#include "Hdf5Scan.h"
#include "WeightFile.h"

#include <QByteArray>
#include <QHash>
#include <QString>
#include <vector>

namespace ws {

/// The layers config.json describes, as found in the weights file.
struct KerasConfigLayers {
    QString modelClass;              ///< "Functional", "Sequential", ...
    QString modelName;               ///< the model's own name
    std::vector<ModuleInfo> modules; ///< in the model's layer order, depth first
    QHash<QString, QString> classOf; ///< layer folder ("layers/dense") -> class ("Dense")
};

/// Matches the layers of \a configJson to \a scan's `vars` groups: a group
/// `P/vars` whose `name` attribute is a layer's name inside the model at P's parent
/// (`layers/sequential/layers/dense` -> the layer of that name inside the Sequential
/// at `layers/sequential`) gets that layer's class. Groups config.json does not
/// name keep a class guessed from their folder. False with \a problem when the
/// JSON is not a Keras model configuration.
bool kerasLayersFromConfig(const QByteArray& configJson, const Hdf5Scan& scan,
                           KerasConfigLayers* out, QString* problem);

} // namespace ws
