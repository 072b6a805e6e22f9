// Shared pieces of the command-line commands: exit codes, output, argument
// scanning, opening the weight file and finding a tensor with suggestions.
#pragma once

#include "WeightFile.h"

#include <QString>
#include <QStringList>
#include <memory>

namespace ws::cli {

enum ExitCode { Success = 0, BadUsage = 1, BadInput = 2 };

/// Writes \a text (UTF-8) to stdout / stderr.
void out(const QString& text);
void err(const QString& text);
/// "weightscope: <message>" on stderr; returns \a code.
int fail(int code, const QString& message);

/// Arguments after the command name, in order.
struct Args {
    QStringList items;
    int pos = 0;
    bool atEnd() const { return pos >= items.size(); }
    QString next() { return items.at(pos++); }
};

/// Is \a a an option (starts with '-' and is not a lone "-")? "--" ends options.
bool looksLikeOption(const QString& a);

/// Opens \a path; null with the reader's message on stderr (exit code 2).
std::unique_ptr<WeightFile> openOrReport(const QString& path);

/// Up to three names close to \a name (edit distance, then containment).
QStringList closeNames(const WeightFile& file, const QString& name);
/// The message for an unknown tensor, with suggestions.
QString unknownTensorMessage(const WeightFile& file, const QString& path, const QString& name);

int runInfo(const QStringList& args);
int runExport(const QStringList& args, int argc, char** argv);
QString infoHelp();
QString exportHelp();

} // namespace ws::cli
