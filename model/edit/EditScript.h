// Applying textual edit expressions to a document: what `weightscope edit`
// and the round-trip tests do with 'fc.weight[0:5, :] = 0.1'.
#pragma once

#include "Document.h"
#include "EditExpression.h"

namespace ws {

/// An expression resolved against a document: the tensor it names and the region
/// its index selects (the whole tensor without one).
struct ResolvedEdit {
    EditExpression expr;
    TensorPtr tensor;
    Region region;
};
/// Where resolving failed: parsing the text, finding the tensor, or its index.
enum class EditStage { Parse, Tensor, Index };

/// Parses \a text and resolves its tensor and index in \a doc, changing nothing.
/// False with \a error and \a failedAt (if given) otherwise; \a out->expr is filled
/// once parsing succeeded (callers word an unknown tensor themselves, with hints).
bool resolveEditExpression(const Document& doc, const QString& text, ResolvedEdit* out,
                           QString* error, EditStage* failedAt = nullptr);

/// Parses \a text, resolves its tensor and index in \a doc and applies it as one
/// undoable edit. On success \a region (if given) receives the edited region.
/// False with \a error ("malformed expression ...", "unknown tensor ...", "index 9
/// is out of range ...") otherwise; nothing is changed then.
bool applyEditExpression(Document& doc, const QString& text, QString* error,
                         Region* region = nullptr);

} // namespace ws
