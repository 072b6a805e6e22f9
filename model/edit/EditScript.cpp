// Parse, resolve, edit: the one path from an expression to a document edit.
#include "EditScript.h"

namespace ws {

bool resolveEditExpression(const Document& doc, const QString& text, ResolvedEdit* out,
                           QString* error, EditStage* failedAt) {
    const auto stop = [failedAt](EditStage stage) {
        if (failedAt) *failedAt = stage;
        return false;
    };
    QString parseError;
    const bool parsed = parseEditExpression(text, &out->expr, &parseError);
    // A tensor named exactly as written wins over reading "[...]" as an index.
    const TensorPtr exact =
        out->expr.target.isEmpty() ? nullptr : doc.file().find(out->expr.target);
    if (exact) {
        out->expr.tensorName = out->expr.target;
        out->expr.indexed = false;
        out->expr.index.clear();
    } else if (!parsed) {
        *error = parseError;
        return stop(EditStage::Parse);
    }
    out->tensor = exact ? exact : doc.file().find(out->expr.tensorName);
    if (!out->tensor) {
        *error =
            QStringLiteral("%1: unknown tensor '%2'").arg(doc.file().path, out->expr.tensorName);
        return stop(EditStage::Tensor);
    }
    out->region = Region::whole(*out->tensor);
    if (out->expr.indexed && !resolveIndex(out->expr.index, *out->tensor, &out->region, error))
        return stop(EditStage::Index);
    return true;
}

bool applyEditExpression(Document& doc, const QString& text, QString* error, Region* region) {
    ResolvedEdit r;
    if (!resolveEditExpression(doc, text, &r, error)) return false;
    if (!doc.edit(r.expr.tensorName, r.region, r.expr.op, error)) return false;
    if (region) *region = r.region;
    return true;
}

} // namespace ws
