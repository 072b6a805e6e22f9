// The defaults of the format interface: no writer, and an atomic save through write().
#include "FileFormat.h"
#include "AtomicSave.h"

#include <QSaveFile>

namespace ws {

bool FileFormat::write(const WeightFile& file, QIODevice*, QString* error) const {
    *error = QStringLiteral("%1: saving as %2 is not supported").arg(file.path, displayName());
    return false;
}

bool FileFormat::save(const WeightFile& file, const QString& path, QString* error) const {
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("%1: cannot write: %2").arg(path, out.errorString());
        return false;
    }
    QString err;
    if (!write(file, &out, &err)) {
        out.cancelWriting();
        *error = saveFailure(path, err);
        return false;
    }
    return commitSaveFile(out, path, error, &file);
}

} // namespace ws
