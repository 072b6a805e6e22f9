// `weightscope edit IN -o OUT EXPR...`: headless edits through the same
// document and commands as the GUI, then an atomic save.
#pragma once

#include <QString>
#include <QStringList>

namespace ws::cli {

int runEdit(const QStringList& args);
QString editHelp();

} // namespace ws::cli
