// What the GGUF reader keeps for saving: the header as parsed and where each
// tensor's bytes lie, so that a save copies every other byte of the file verbatim.
#pragma once

#include "GgufHeader.h"
#include "WeightFile.h"

namespace ws {

/// Reader state of one GGUF file.
class GgufState : public FormatState {
public:
    QString path;      ///< the file read
    GgufHeader header; ///< tensor infos in file order (WeightFile::tensors has the same order)
};

} // namespace ws
