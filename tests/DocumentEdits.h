// Applies edit expressions to a document in the round-trip tests.
#pragma once

#include "EditScript.h"

#include <QStringList>

namespace wstest {

/// Applies \a exprs in order; false with \a error at the first that fails.
inline bool applyExpressions(ws::Document& doc, const QStringList& exprs, QString* error) {
    for (const QString& text : exprs)
        if (!ws::applyEditExpression(doc, text, error)) return false;
    return true;
}

} // namespace wstest
