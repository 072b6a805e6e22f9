// Parses PyTorch-style edit expressions for the command line:
// 'fc.weight[0:5, :] = 0.1', '2.bias += 0.5', 'fc.weight[3, -1] *= 0.9'.
#pragma once

#include "EditOperation.h"
#include "Region.h"
#include "TensorIndex.h"
#include "WeightFile.h"

#include <QString>

namespace ws {

/// A parsed expression, not yet resolved against a file.
struct EditExpression {
    QString tensorName;
    bool indexed = false;
    std::vector<IndexItem> index;
    EditOperation op;
    QString text; ///< the expression as given
};

/// Parses \a text; false with \a error ("malformed expression ...") on failure.
bool parseEditExpression(const QString& text, EditExpression* out, QString* error);
/// Parses a number the way the user typed it, independent of the locale:
/// "0.1", "-1e-3", "nan", "inf", "-inf", "True", "False".
bool parseNumber(const QString& text, double* out);

} // namespace ws
