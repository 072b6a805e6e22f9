// Reading an ONNX model without its weights: a walk over the protobuf wire format
// that copies the model's structure and leaves out the payload of every large
// raw_data field (the weights of any real model), recording where it lies in
// the file instead. libonnx's protobuf classes then parse the small remainder;
// a tensor's bytes are read from the file the first time it is shown, as for
// every other format. protobuf has no lazy parsing of bytes fields, and parsing
// a 500 MB model whole reads and copies all of it before anything is shown.
#pragma once

#include <QByteArray>
#include <QString>
#include <string>
#include <vector>

namespace ws {

/// Where the payload of one left-out raw_data field lies in the model file.
struct OnnxLazyRaw {
    qint64 offset = 0, length = 0;
};

/// raw_data payloads from this many bytes on are left in the file.
constexpr qint64 kOnnxLazyFrom = 64;

/// Copies the model at \a path into \a skeleton (a valid serialized ModelProto)
/// with each raw_data payload of kOnnxLazyFrom bytes or more replaced by a
/// placeholder that names its entry in \a lazy. TensorProtos are found in the
/// graph's initializers and nodes, node attributes (t, tensors) and subgraphs
/// (g, graphs), at any depth up to a limit. False with \a error naming the file
/// when the wire format is broken (lengths past their message, bad wire types).
bool readOnnxSkeleton(const QString& path, QByteArray* skeleton, std::vector<OnnxLazyRaw>* lazy,
                      QString* error);

/// The entry a placeholder left by readOnnxSkeleton names, or -1 when \a raw is
/// an ordinary raw_data payload.
qint64 onnxLazyIndex(const std::string& raw);

} // namespace ws
