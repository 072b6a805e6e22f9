// The undoable edit. Before changing a region it keeps exactly that region's old
// bytes (PyTorch's clone(); for a quantized tensor, the bytes of the blocks the
// region touches), in memory or, beyond the edit-memory budget, in a temporary
// file; undo writes them back (copy_()). New values go to the storage's overlay.
#pragma once

#include "Blob.h"
#include "EditOperation.h"
#include "Region.h"

#include <QUndoCommand>
#include <memory>
#include <vector>

namespace ws {

class Document;
class Tensor;

/// An edit of one tensor's region; consecutive edits with the same merge key merge.
class EditUndoCommand : public QUndoCommand {
public:
    static constexpr int kMergeId = 0x5753;

    EditUndoCommand(Document* doc, int tensorIndex, Region region, EditOperation op, int mergeKey);

    /// Applies the edit for the first time (the document calls it before pushing):
    /// keeps the old bytes, computes and writes the new ones. False with \a error, and
    /// the tensor as it was, when the edit cannot be applied.
    bool prepare(QString* error);
    void redo() override;
    void undo() override;
    int id() const override { return m_mergeKey != 0 ? kMergeId : -1; }
    bool mergeWith(const QUndoCommand* other) override;

    int tensorIndex() const { return m_tensor; }
    /// Bytes held for undo, in memory and in temporary files.
    qint64 byteCost() const;
    /// Of those, the bytes in temporary files.
    qint64 diskCost() const;
    /// The steps as edit expressions: "fc.weight[0:5, :] *= 2" (one per merged step;
    /// steps the language cannot write, such as Re-initialise, are described instead).
    QStringList expressions() const;
    /// False when the last redo could not read or write the storage.
    bool succeeded() const { return m_error.isEmpty(); }
    QString error() const { return m_error; }

    /// A copy that takes over \a old's kept bytes, for rebuilding the stack when
    /// trimming it to the memory budget; its first redo() does nothing.
    static EditUndoCommand* takeOver(EditUndoCommand* old);

private:
    /// A run of units (quantization blocks) [first, first + count).
    struct UnitRun {
        int64_t first, count;
    };
    struct Step {
        Region region;
        EditOperation op;
        std::shared_ptr<Blob> old;  ///< the bytes before this step (region or unit order)
        std::vector<UnitRun> units; ///< encoded tensors: the units the region touches
    };
    EditUndoCommand(Document* doc, int tensorIndex, int mergeKey, std::vector<Step> steps);
    const Tensor& tensor() const;
    bool apply(Step& step, QString* error);
    bool applyPlain(Step& step, QString* error);
    bool applyEncoded(Step& step, QString* error);
    bool restoreOld(const Step& step, int64_t elements, QString* error);
    void refreshText();

    Document* m_doc;
    int m_tensor;
    int m_mergeKey;
    std::vector<Step> m_steps;
    bool m_prepared = false; ///< prepare() applied it: the first redo only announces it
    bool m_skipRedo = false; ///< rebuilt by takeOver(): the first redo does nothing
    bool m_rebuilt = false;
    QString m_error;
};

} // namespace ws
