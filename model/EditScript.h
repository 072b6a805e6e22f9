// Applying textual edit expressions to a document: what `weightscope edit`
// and the round-trip tests do with 'fc.weight[0:5, :] = 0.1'.
#pragma once

#include "Document.h"
#include "EditExpression.h"

namespace ws {

/// Parses \a text, resolves its tensor and index in \a doc and applies it as one
/// undoable edit. On success \a region (if given) receives the edited region.
/// False with \a error ("malformed expression ...", "unknown tensor ...", "index 9
/// is out of range ...") otherwise; nothing is changed then.
bool applyEditExpression(Document& doc, const QString& text, QString* error,
                         Region* region = nullptr);

} // namespace ws
