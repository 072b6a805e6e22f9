// An open weight file being inspected and edited: owns the file, its layer
// tree and the QUndoStack; every edit goes through here and is announced.
#pragma once

#include "EditOperation.h"
#include "FileFormat.h"
#include "LayerTree.h"
#include "Region.h"
#include "WeightFile.h"

#include <QHash>
#include <QObject>
#include <QUndoStack>
#include <memory>

namespace ws {

class EditUndoCommand;

/// The document: edits flow view -> Document::edit -> command -> valuesChanged.
class Document : public QObject {
    Q_OBJECT
public:
    explicit Document(std::unique_ptr<WeightFile> file, QObject* parent = nullptr);
    ~Document() override;

    const WeightFile& file() const { return *m_file; }
    WeightFile& file() { return *m_file; }
    const LayerNode& layerTree() const { return *m_tree; }
    QUndoStack* undoStack() { return &m_stack; }
    /// True while the values differ from the last load or save.
    bool isModified() const;

    /// Applies \a op to \a region of tensor \a tensorIndex as one undoable step.
    /// Consecutive edits with the same non-zero \a mergeKey merge into one step.
    /// Returns false with \a error when the tensor cannot be edited or read.
    bool edit(int tensorIndex, const Region& region, const EditOperation& op, QString* error,
              int mergeKey = 0);
    /// Convenience: edit by tensor name.
    bool edit(const QString& tensorName, const Region& region, const EditOperation& op,
              QString* error, int mergeKey = 0);
    /// Why \a t cannot be edited (damaged, or encoded without a re-encoder), or empty.
    static QString editRefusal(const Tensor& t);
    /// Re-initialises a whole tensor as nn.Linear.reset_parameters does.
    bool resetParameters(int tensorIndex, const Region& region, QString* error);
    /// fan_in of the layer that owns tensor \a index (weight: product of dims after
    /// the first; bias: that of its sibling weight); 0 when unknown.
    int64_t fanIn(int tensorIndex) const;

    /// A merge key for consecutive typing into one cell.
    static int cellMergeKey(int tensorIndex, int64_t row, int64_t col);
    /// A fresh merge key for one drag gesture.
    static int newGestureKey();

    /// True when tensor \a index (or a tensor sharing its storage) was edited since load/save.
    bool isEdited(int tensorIndex) const;
    /// Indices of the tensors sharing tensor \a index's storage, itself included.
    QList<int> linkedTensors(int tensorIndex) const;
    /// The tensor's values as last loaded or saved (for the diff view).
    bool originalValues(int tensorIndex, MatrixF* out, QString* error) const;
    /// The same for \a view, a view (e.g. permuted) over tensor \a tensorIndex's storage.
    bool originalValues(int tensorIndex, const Tensor& view, MatrixF* out, QString* error) const;
    /// \a view (a view over tensor \a tensorIndex's storage) reading the values as last
    /// loaded or saved, without the edits: for difference views, read tile by tile.
    TensorPtr originalView(int tensorIndex, const Tensor& view, QString* error) const;

    /// Memory the undo history may hold for clones (default 1 GiB).
    qint64 undoBudget() const { return m_budget; }
    void setUndoBudget(qint64 bytes);
    /// Bytes the undo history holds now.
    qint64 undoBytes() const;

    /// Saves atomically (temporary file in the same folder, then rename) in
    /// \a format, or the file's own format when null. Refuses before any work when
    /// \a path or its folder is read-only, and refuses to rename the result into
    /// place when the opened file changed on disk before or during the save. Saving in the file's
    /// own format to \a path makes the document clean and points it at \a path; a conversion writes
    /// a copy and leaves the document as it was.
    bool save(const QString& path, QString* error, const FileFormat* format = nullptr);

Q_SIGNALS:
    /// Values of tensor \a tensorIndex changed within \a region (undo, redo, edit).
    void valuesChanged(int tensorIndex, const ws::Region& region);
    void modifiedChanged(bool modified);
    void saved(const QString& path);

private:
    friend class EditUndoCommand;
    void commandApplied(EditUndoCommand* cmd, const Region& region, int direction);
    void enforceBudget();
    void rebindAfterSave(const WeightFile& saved);

    std::unique_ptr<WeightFile> m_file;
    std::unique_ptr<LayerNode> m_tree;
    QUndoStack m_stack;
    QHash<const Storage*, int> m_editCounts;
    qint64 m_budget = qint64(1) << 30;
    bool m_trimming = false;
    bool m_lostClean = false;
};

} // namespace ws
