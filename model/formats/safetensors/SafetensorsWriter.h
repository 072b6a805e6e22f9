// Writes safetensors: an edited safetensors file keeps its header bytes and
// tensor order; any other file is converted with a fresh header.
#pragma once

#include "WeightFile.h"

#include <QIODevice>

namespace ws {

/// Writes \a file as one safetensors file to \a out. False with \a error on failure
/// (including a sharded model, which is saved shard by shard, not as one file).
bool writeSafetensors(const WeightFile& file, QIODevice* out, QString* error);

struct SafetensorsHeader;

/// Writes the file \a h describes (one shard of \a file) as read: its header bytes,
/// then each tensor's bytes, edited ones from memory and the rest copied from \a h's file.
bool writeSafetensorsFaithful(const WeightFile& file, const SafetensorsHeader& h, QIODevice* out,
                              QString* error);

} // namespace ws
