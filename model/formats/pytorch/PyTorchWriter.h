// Writes PyTorch zip checkpoints: an edited zip checkpoint keeps data.pkl and
// every untouched record byte for byte; a legacy checkpoint is converted to the
// zip format; any other file becomes a state_dict of plain tensors.
#pragma once

#include "WeightFile.h"

#include <QIODevice>

namespace ws {

/// Writes \a file as a PyTorch zip checkpoint to \a out.
bool writePyTorch(const WeightFile& file, QIODevice* out, QString* error);

/// Turns a legacy (pre-1.6) object pickle of protocol 2 to 5 into the zip format's
/// data.pkl in protocol 2's opcodes (see PyTorchPickleTranscode.cpp): the legacy
/// persistent ids are 6-tuples ending in a view-metadata None, the zip format's are
/// 5-tuples. False with \a error when a pid has view metadata or the pickle is
/// malformed.
bool legacyPickleToZip(const QByteArray& legacy, QByteArray* out, QString* error);

/// A protocol-2 pickle of an OrderedDict of plain tensors (a state_dict) over
/// storages named by \a storageKeys (one per tensor; equal keys share a storage).
QByteArray stateDictPickle(const WeightFile& file, const std::vector<QString>& storageKeys);

} // namespace ws
