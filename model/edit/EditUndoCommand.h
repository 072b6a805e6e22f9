// The undoable edit: before changing a region it clones exactly that region's
// bytes (PyTorch's clone()), and undo copies them back (copy_()).
#pragma once

#include "EditOperation.h"
#include "Region.h"

#include <QByteArray>
#include <QUndoCommand>
#include <vector>

namespace ws {

class Document;

/// An edit of one tensor's region; consecutive edits with the same merge key merge.
class EditUndoCommand : public QUndoCommand {
public:
    static constexpr int kMergeId = 0x5753;

    EditUndoCommand(Document* doc, int tensorIndex, Region region, EditOperation op, int mergeKey);

    void redo() override;
    void undo() override;
    int id() const override { return m_mergeKey != 0 ? kMergeId : -1; }
    bool mergeWith(const QUndoCommand* other) override;

    int tensorIndex() const { return m_tensor; }
    /// Bytes held for undo (the clones) and for redo of a restore.
    qint64 byteCost() const;
    /// False when the first redo failed (the storage could not be read).
    bool succeeded() const { return m_error.isEmpty(); }
    QString error() const { return m_error; }

    /// A copy that takes over \a old's clones, for rebuilding the stack when
    /// trimming it to the memory budget; its first redo() does nothing.
    static EditUndoCommand* takeOver(EditUndoCommand* old);

private:
    struct Step {
        Region region;
        EditOperation op;
        QByteArray oldBytes; ///< the region's bytes before this step, in region order
        QByteArray newBytes; ///< for Restore: the bytes it writes
    };
    EditUndoCommand(Document* doc, int tensorIndex, int mergeKey, std::vector<Step> steps);
    void apply(Step& step);

    Document* m_doc;
    int m_tensor;
    int m_mergeKey;
    std::vector<Step> m_steps;
    bool m_skipRedo = false;
    bool m_rebuilt = false;
    QString m_error;
};

} // namespace ws
