// The one interface every weight-file format implements. The registry that
// knows every format is formats/FormatRegistry.h.
#pragma once

#include "WeightFile.h"

#include <QByteArray>
#include <QIODevice>
#include <QString>
#include <QStringList>
#include <functional>
#include <memory>
#include <vector>

namespace ws {

/// Called with a fraction in [0, 1] while a file is read.
using ProgressFn = std::function<void(double)>;

/// A readable (and maybe writable) weight-file format. Errors are returned as
/// messages naming the file and the problem; nothing throws across this interface.
class FileFormat {
public:
    virtual ~FileFormat() = default;
    /// Stable identifier: "pytorch", "safetensors", ...
    virtual QString id() const = 0;
    /// Human name for dialogs: "PyTorch checkpoint".
    virtual QString displayName() const = 0;
    /// File-name patterns for the Open dialog: "*.pt", "*.safetensors.index.json".
    virtual QStringList nameFilters() const = 0;
    /// How sure we are that the file is ours: 0 not, 1 by name only, 2 by magic bytes,
    /// 3 by magic bytes that no other format shares (the highest score wins).
    /// \a head holds up to the first 4096 bytes.
    virtual int probe(const QByteArray& head, const QString& path) const = 0;
    /// Reads the file's structure (not the tensor bytes, which load lazily).
    virtual std::unique_ptr<WeightFile> read(const QString& path, QString* error,
                                             const ProgressFn& progress = {}) const = 0;
    /// True when read() accepts http(s) URLs (it reads through openByteSource()).
    virtual bool readsUrls() const { return false; }
    /// True when write() is implemented.
    virtual bool canWrite() const { return false; }
    /// Writes \a file with its current values to \a out (the caller makes it atomic).
    /// \a file may come from another format (conversion). Untouched data may be
    /// copied from \a file.path.
    virtual bool write(const WeightFile& file, QIODevice* out, QString* error) const;
    /// Saves \a file to \a path atomically: the default writes write() into a temporary
    /// file in the same folder (QSaveFile), flushes it, checks that the files \a file
    /// reads from did not change meanwhile (sourceUnchanged) and renames it over \a path.
    /// Formats whose library writes files itself (HDF5) override this and must keep
    /// the same guarantees: on failure \a path is untouched and \a error says why.
    virtual bool save(const WeightFile& file, const QString& path, QString* error) const;
    /// Extension for files of this format, without the dot ("pt", "safetensors").
    virtual QString defaultSuffix() const { return QString(); }
};

} // namespace ws
