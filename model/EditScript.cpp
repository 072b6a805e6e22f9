// Parse, resolve, edit: the one path from an expression to a document edit.
#include "EditScript.h"

namespace ws {

bool applyEditExpression(Document& doc, const QString& text, QString* error, Region* region) {
    EditExpression e;
    if (!parseEditExpression(text, &e, error)) return false;
    TensorPtr t = doc.file().find(e.tensorName);
    if (!t) {
        *error = QStringLiteral("%1: unknown tensor '%2'").arg(doc.file().path, e.tensorName);
        return false;
    }
    Region r = Region::whole(*t);
    if (e.indexed && !resolveIndex(e.index, *t, &r, error)) return false;
    if (!doc.edit(e.tensorName, r, e.op, error)) return false;
    if (region) *region = r;
    return true;
}

} // namespace ws
