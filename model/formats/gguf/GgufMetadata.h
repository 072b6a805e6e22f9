// What a GGUF file's metadata looks like to the user: each value as text (arrays
// summarised, never printed whole), as typed values for `info --json`, and a
// short summary of the model (architecture, sizes, heads, rope, tokenizer).
#pragma once

#include "GgufHeader.h"

#include <QString>
#include <QVariant>
#include <utility>
#include <vector>

namespace ws {

/// Elements an array's summary shows.
constexpr int kGgufShownElements = 5;

/// "llama", "10000", "[300 strings] <unk>, <s>, </s>, <0x00>, <0x01>, ...".
QString ggufValueText(const GgufKV& kv);
/// The value as a QVariant for JSON: qulonglong, qlonglong, double, bool or QString;
/// an array as a QVariantMap {type, length, first} (type of the elements).
QVariant ggufValueTyped(const GgufKV& kv);
/// llama.cpp's name of general.file_type \a ftype ("MOSTLY_Q4_K_M"), or empty.
QString ggufFileTypeName(qulonglong ftype);
/// The model's headline facts in display order ("Architecture" -> "llama",
/// "Context length" -> "4096", "Vocabulary size" -> "32000", ...), for the panel.
std::vector<std::pair<QString, QString>> ggufSummary(const GgufHeader& h);

} // namespace ws
