// What the ONNX reader keeps for saving: the parsed ModelProto and, for each
// tensor, the TensorProto it came from and which field holds its data.
#pragma once

#include "OnnxSkeleton.h"
#include "WeightFile.h"

#include <QDateTime>
#include <QIODevice>
#include <QString>
#include <map>
#include <memory>
#include <onnx/onnx_pb.h>
#include <vector>

namespace ws {

/// Where one tensor's values live in the model.
struct OnnxTensorSource {
    enum Field { Raw, Float, Int32, Int64, Double, UInt64, External };
    onnx::TensorProto* proto = nullptr; ///< inside OnnxState::model
    Field field = Raw;
    QString externalPath; ///< absolute path of the external data file
    QString location;     ///< the location key as written (relative to the model)
    qint64 offset = 0, length = 0;
    /// For raw_data left in the model file by readOnnxSkeleton: where it starts
    /// (the proto holds only a placeholder), else -1.
    qint64 rawOffset = -1;
};

/// Reader state for ONNX models.
class OnnxState : public FormatState {
public:
    std::shared_ptr<onnx::ModelProto> model; ///< large raw_data fields as placeholders
    std::vector<OnnxTensorSource> sources;   ///< one per WeightFile tensor, same order
    std::vector<OnnxLazyRaw> lazy;           ///< what the placeholders stand for
    QString path;                            ///< the model file they lie in
    qint64 fileSize = -1;                    ///< its size and time when it was read
    QDateTime modified;
};

/// Parses \a bytes (a whole .onnx file of \a path) into \a model with a byte
/// limit of the input size. False with \a error naming the file on failure.
bool parseOnnxModel(const QByteArray& bytes, const QString& path, onnx::ModelProto* model,
                    QString* error);

/// Builds the tensors of \a state's model (initializers, then Constant node
/// values, subgraphs included) into \a out, with external data resolved
/// against the folder of \a path. False with \a error on malformed tensors.
bool collectOnnxTensors(const QString& path, OnnxState* state, WeightFile* out, QString* error);

/// External data files that a Save As must not share with the model it was read
/// from: absolute path of the file read -> the new location key (relative).
using OnnxRelocations = std::map<QString, QString>;

/// Serializes the model of \a state to \a out with every edited, embedded tensor
/// of \a file put back into the field it came from, and the location key of
/// external tensors changed as \a moved says. External data are not written
/// here (see writeOnnxExternalData). The model in \a state is left as it was.
bool writeOnnxModel(const WeightFile& file, OnnxState& state, QIODevice* out, QString* error,
                    const OnnxRelocations& moved = {});

/// The relocations a save of \a state to \a modelPath needs: when \a modelPath is
/// another model than \a currentPath but an external file would land on the one
/// the current model reads, that file gets a new name "<model file name>.data"
/// ("<model file name>.N.data" for more than one) in the same relative folder.
OnnxRelocations onnxRelocations(const OnnxState& state, const QString& currentPath,
                                const QString& modelPath);

/// Writes every external data file that \a file's tensors use beside \a modelPath
/// (at its location, or its new location in \a moved) as a complete new file
/// (QSaveFile), with edited ranges replaced; files with nothing edited that
/// already lie where \a modelPath needs them are left alone.
bool writeOnnxExternalData(const WeightFile& file, const OnnxState& state, const QString& modelPath,
                           QString* error, const OnnxRelocations& moved = {});

/// Writes all tensors of \a file (any format) as a new ONNX model whose graph holds
/// them as raw_data initializers and nothing else (IR 8, opset 13). Float8 types
/// are refused (they need IR 9).
bool writeOnnxConverted(const WeightFile& file, QIODevice* out, QString* error);

} // namespace ws
