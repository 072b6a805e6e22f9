// QSaveFile does the temporary file and the rename; we add the checks it lacks.
#include "AtomicSave.h"

#include <QSaveFile>

namespace ws {

bool flushSaveFile(QSaveFile& out, const QString& path, QString* error) {
    const qint64 written = out.pos();
    const bool flushed = out.flush() && out.error() == QFileDevice::NoError;
    if (flushed && out.size() == written) return true;
    const QString why = flushed || out.errorString().isEmpty() ||
                                out.errorString() == QLatin1String("Unknown error")
                            ? QStringLiteral("only %1 of %2 bytes could be written (disk full "
                                             "or file size limit?)")
                                  .arg(out.size())
                                  .arg(written)
                            : out.errorString();
    out.cancelWriting();
    if (error)
        *error = QStringLiteral("%1: cannot save: %2; the file was not changed").arg(path, why);
    return false;
}

bool commitSaveFile(QSaveFile& out, const QString& path, QString* error) {
    if (!flushSaveFile(out, path, error)) return false;
    if (out.commit()) return true;
    if (error) *error = QStringLiteral("%1: cannot save: %2").arg(path, out.errorString());
    return false;
}

} // namespace ws
