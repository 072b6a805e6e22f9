// What a reader returns: the tensors of one weight file in file order, the
// module classes it pickles (if any), metadata, and state a writer needs later.
#pragma once

#include "Tensor.h"

#include <QDateTime>
#include <QMap>
#include <QString>
#include <QStringList>
#include <QVariant>
#include <map>
#include <memory>
#include <utility>
#include <vector>

namespace ws {

class FileFormat;
class SaveCheck;

/// A module recovered from a whole-module pickle: its dotted path ("" for the
/// root, "encoder.layers.0") and class name ("Linear", "ReLU").
struct ModuleInfo {
    QString path;
    QString className;
    QString qualifiedName; ///< "torch.nn.modules.linear.Linear"
};

/// Format-specific data a reader keeps for faithful saving (zip layout, header, ...).
class FormatState {
public:
    virtual ~FormatState() = default;
};

/// One opened weight file.
class WeightFile {
public:
    QString path;
    QString formatId;   ///< FileFormat::id() of the reader, e.g. "pytorch"
    QString formatName; ///< for display, e.g. "PyTorch zip checkpoint"
    /// The format that read the file (and saves it in place); set by FileFormat::read.
    const FileFormat* format = nullptr;
    /// What a layer with a 2-D input-major weight (Tensor::inputMajor) is called: Keras
    /// stores Dense kernels (in, out); an ONNX MatMul weight is a Linear's transpose.
    QString inputMajorLinearKind = QStringLiteral("Dense");
    std::vector<TensorPtr> tensors;
    std::vector<ModuleInfo> modules; ///< empty unless the file pickles modules
    QMap<QString, QString> metadata; ///< e.g. safetensors __metadata__
    /// The same metadata with typed values in file order, for formats whose metadata
    /// is typed (GGUF): qulonglong, qlonglong, double, bool, QString, and arrays
    /// summarised as a QVariantMap {type, length, first}. `info --json` prints these.
    std::vector<std::pair<QString, QVariant>> typedMetadata;
    /// Headline facts about the model for the file-info panel, in display order
    /// ("Architecture" -> "llama", "Context length" -> "4096").
    std::vector<std::pair<QString, QString>> summary;
    std::shared_ptr<FormatState> state;
    /// What separates module names in tensor names: '.' (PyTorch), '/' (HDF5 paths).
    QChar separator = QLatin1Char('.');
    /// Entries of the file that are not tensors and are listed but not shown, as
    /// "path: reason" (e.g. HDF5 string or compound datasets).
    QStringList otherEntries;

    /// Size and modification time of each file the tensors are read from (the file at
    /// \a path, shards, external data) when it was read: unedited tensors are read
    /// from them later, and copied from them when saving, so they must not change.
    struct FileStamp {
        qint64 size = -1; ///< -1: the file did not exist
        QDateTime modified;
    };
    std::map<QString, FileStamp> stamps;
    /// Set on the copy a save hands to a writer: what the written file is compared
    /// with before it is renamed into place (see AtomicSave.h). Null elsewhere.
    std::shared_ptr<const SaveCheck> saveCheck;
    /// Records the files' sizes and times as they are now; \a main, when given, is
    /// what the file at \a path was before reading (a change while reading shows).
    void stamp(const FileStamp* main = nullptr);
    /// Empty while every stamped file is as stamped (or nothing was stamped), else a
    /// message naming the first changed file and saying what changed.
    QString changedOnDisk() const;
    static FileStamp stampOf(const QString& path);

    /// A shallow copy without the derived tensors (Tensor::derived): what is saved.
    WeightFile storedOnly() const;
    /// The tensor named exactly \a name, or null.
    TensorPtr find(const QString& name) const;
    int indexOf(const QString& name) const;
    /// Elements of all tensors, tied weights (identical views of one storage) counted once.
    int64_t parameterCount() const;
    /// Names of the other tensors that share \a t's storage.
    QStringList linkedTo(const Tensor& t) const;
};

} // namespace ws
