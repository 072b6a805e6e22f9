// The document's edit, undo-budget and save logic.
#include "Document.h"
#include "AtomicSave.h"
#include "EditUndoCommand.h"
#include "SaveReadBack.h"
#include "TileCache.h"

#include <QDir>
#include <QFileInfo>
#include <atomic>
#include <cmath>
#include <random>

namespace ws {

Document::Document(std::unique_ptr<WeightFile> file, QObject* parent)
    : QObject(parent), m_file(std::move(file)), m_tree(buildLayerTree(*m_file)) {
    connect(&m_stack, &QUndoStack::cleanChanged, this,
            [this](bool) { Q_EMIT modifiedChanged(isModified()); });
}

Document::~Document() {
    m_stack.disconnect(this);
    m_stack.clear(); // commands refer to the file; drop them first
}

bool Document::isModified() const {
    return m_lostClean || !m_stack.isClean();
}

bool Document::edit(const QString& tensorName, const Region& region, const EditOperation& op,
                    QString* error, int mergeKey) {
    int i = m_file->indexOf(tensorName);
    if (i < 0) {
        *error = QStringLiteral("%1: unknown tensor '%2'").arg(m_file->path, tensorName);
        return false;
    }
    return edit(i, region, op, error, mergeKey);
}

bool Document::edit(int tensorIndex, const Region& region, const EditOperation& op, QString* error,
                    int mergeKey) {
    if (tensorIndex < 0 || size_t(tensorIndex) >= m_file->tensors.size()) {
        *error = QStringLiteral("no tensor number %1").arg(tensorIndex);
        return false;
    }
    const Tensor& t = *m_file->tensors[size_t(tensorIndex)];
    const QString refusal = editRefusal(t);
    if (!refusal.isEmpty()) {
        *error = QStringLiteral("%1: %2").arg(m_file->path, refusal);
        return false;
    }
    if (!region.fitsIn(t)) {
        *error = QStringLiteral("%1: region outside tensor %2 of shape %3")
                     .arg(m_file->path, t.name, t.shapeString());
        return false;
    }
    if (!t.encoding) {
        const QString refused = op.refusal(t.dtype);
        if (!refused.isEmpty()) {
            *error = QStringLiteral("%1: tensor %2: %3").arg(m_file->path, t.name, refused);
            return false;
        }
    } else if (t.encoding && op.a.isComplex) {
        *error = QStringLiteral("%1: tensor %2: a complex value cannot be stored in a %3 tensor")
                     .arg(m_file->path, t.name, t.typeName());
        return false;
    }
    if (region.isEmpty()) return true;
    if (!t.check(error)) return false;
    auto* cmd = new EditUndoCommand(this, tensorIndex, region, op, mergeKey);
    QString why;
    if (!cmd->prepare(&why)) {
        delete cmd;
        *error = QStringLiteral("%1: tensor %2: %3").arg(m_file->path, t.name, why);
        return false;
    }
    m_stack.push(cmd); // announces it; may merge and delete cmd
    enforceBudget();
    return true;
}

QString Document::editRefusal(const Tensor& t) {
    if (!t.problem.isEmpty())
        return QStringLiteral("tensor %1 cannot be edited: %2").arg(t.name, t.problem);
    if (t.encoding && t.encoding->unitElements() <= 0)
        return QStringLiteral("tensor %1: %2").arg(t.name, t.encoding->readOnlyReason());
    return QString();
}

int64_t Document::fanIn(int tensorIndex) const {
    const Tensor& t = *m_file->tensors[size_t(tensorIndex)];
    const Tensor* w = &t;
    if (t.rank() < 2) { // a bias: use the sibling weight
        QString name = t.name;
        int dot = name.lastIndexOf(QLatin1Char('.'));
        QString weightName = (dot < 0 ? QString() : name.left(dot + 1)) + QStringLiteral("weight");
        TensorPtr sibling = m_file->find(weightName);
        if (!sibling || sibling->rank() < 2) return 0;
        w = sibling.get();
    }
    int64_t fan = 1;
    for (size_t i = 1; i < w->shape.size(); ++i)
        fan *= w->shape[i];
    return fan;
}

bool Document::resetParameters(int tensorIndex, const Region& region, QString* error) {
    const int64_t fan = fanIn(tensorIndex);
    if (fan <= 0) {
        *error = QStringLiteral("%1: cannot tell the fan-in of %2 to re-initialise it")
                     .arg(m_file->path, m_file->tensors[size_t(tensorIndex)]->name);
        return false;
    }
    static std::random_device device;
    const uint64_t seed = (uint64_t(device()) << 32) ^ device();
    return edit(tensorIndex, region, EditOperation::uniform(1.0 / std::sqrt(double(fan)), seed),
                error);
}

int Document::cellMergeKey(int tensorIndex, int64_t row, int64_t col) {
    const uint64_t h = qHashMulti(0x77, tensorIndex, row, col);
    return int((h & 0x3fffffff) | 0x40000000); // positive, never a gesture key
}

int Document::newGestureKey() {
    static std::atomic<int> next{1};
    return next++ & 0x3fffffff;
}

bool Document::isEdited(int tensorIndex) const {
    const Storage* s = m_file->tensors[size_t(tensorIndex)]->storage.get();
    return m_editCounts.value(s, 0) != 0;
}

QList<int> Document::linkedTensors(int tensorIndex) const {
    QList<int> out;
    const auto& storage = m_file->tensors[size_t(tensorIndex)]->storage;
    for (size_t i = 0; i < m_file->tensors.size(); ++i)
        if (m_file->tensors[i]->storage == storage) out << int(i);
    return out;
}

bool Document::originalValues(int tensorIndex, MatrixF* out, QString* error) const {
    return originalValues(tensorIndex, *m_file->tensors[size_t(tensorIndex)], out, error);
}

bool Document::originalValues(int tensorIndex, const Tensor& t, MatrixF* out,
                              QString* error) const {
    TensorPtr view = originalView(tensorIndex, t, error);
    return view && view->values(out, error);
}

TensorPtr Document::originalView(int tensorIndex, const Tensor& t, QString* error) const {
    if (t.storage != m_file->tensors[size_t(tensorIndex)]->storage) {
        *error = QStringLiteral("not a view of tensor %1").arg(tensorIndex);
        return nullptr;
    }
    QString problem = t.validate();
    if (!problem.isEmpty()) {
        *error = problem;
        return nullptr;
    }
    auto view = std::make_shared<Tensor>(t);
    view->storage = t.storage->withoutEdits();
    return view;
}

void Document::commandApplied(EditUndoCommand* cmd, const Region& region, int direction) {
    const int index = cmd->tensorIndex();
    const Tensor& edited = *m_file->tensors[size_t(index)];
    Storage* storage = edited.storage.get();
    // Cached tiles of the changed rectangle, and of every other view of the storage, go.
    const QString key = tensorCacheKey(edited);
    int64_t r0 = 0, c0 = 0, nr = 0, nc = 0;
    region.bounds2d(edited, &r0, &c0, &nr, &nc);
    TileCache::instance().invalidate(key, r0, c0, nr, nc);
    TileCache::instance().invalidatePrefix(storageCacheKey(*storage), key);
    int& count = m_editCounts[storage];
    count += direction;
    storage->setDirty(count != 0 || storage->isDirty());
    // Every edit of it is undone: its bytes are the file's again, the overlay can go.
    if (count == 0 && !m_lostClean) storage->discardEdits();
    for (int other : linkedTensors(index))
        Q_EMIT valuesChanged(
            other, other == index ? region : Region::whole(*m_file->tensors[size_t(other)]));
}

qint64 Document::undoBytes() const {
    qint64 n = 0;
    for (int i = 0; i < m_stack.count(); ++i)
        if (auto* c = dynamic_cast<const EditUndoCommand*>(m_stack.command(i))) n += c->byteCost();
    return n;
}

void Document::setUndoBudget(qint64 bytes) {
    m_budget = std::max<qint64>(bytes, 0);
    enforceBudget();
}

// QUndoStack cannot drop its oldest commands, so when the clones exceed the
// budget the stack is rebuilt from the newest commands that fit: their clones
// are moved into fresh commands that skip their first redo.
void Document::enforceBudget() {
    if (m_trimming || m_budget <= 0 || undoBytes() <= m_budget) return;
    m_trimming = true;
    const int count = m_stack.count(), index = m_stack.index(), clean = m_stack.cleanIndex();
    // Keep the newest commands whose clones fit (the newest one always stays).
    int first = count - 1;
    qint64 total = 0;
    for (int i = count - 1; i >= 0; --i) {
        auto* c = dynamic_cast<const EditUndoCommand*>(m_stack.command(i));
        total += c ? c->byteCost() : 0;
        if (total > m_budget && i < count - 1) break;
        first = i;
    }
    std::vector<EditUndoCommand*> kept;
    for (int i = first; i < count; ++i)
        kept.push_back(EditUndoCommand::takeOver(
            const_cast<EditUndoCommand*>(static_cast<const EditUndoCommand*>(m_stack.command(i)))));
    const bool cleanDropped = clean < first || clean < 0;
    m_stack.blockSignals(true);
    m_stack.clear();
    if (clean == first && !cleanDropped) m_stack.setClean();
    for (int i = 0; i < int(kept.size()); ++i) {
        m_stack.push(kept[size_t(i)]);
        if (first + i + 1 == clean) m_stack.setClean();
    }
    // Commands that were undone are pushed in their undone state: undo() then
    // rewrites bytes that are already there, so moving the index is exact.
    m_stack.setIndex(std::max(0, index - first));
    if (cleanDropped) {
        m_stack.resetClean();
        m_lostClean = true;
    }
    m_stack.blockSignals(false);
    m_trimming = false;
    Q_EMIT modifiedChanged(isModified());
}

bool Document::save(const QString& path, QString* error, const FileFormat* format) {
    if (isUrl(path)) { // a remote file is read-only: edits go to a local copy
        *error = QStringLiteral("%1: a file opened by URL is read-only; use Save As to write "
                                "a local copy")
                     .arg(path);
        return false;
    }
    const FileFormat* own = m_file->format;
    if (!format) format = own;
    if (!format || !format->canWrite()) {
        *error = QStringLiteral("%1: saving in this format is not supported").arg(path);
        return false;
    }
    if (!checkCanSave(path, error)) return false;
    removeStaleTempFiles(path);
    // Unedited tensors are copied from the file that was opened: it must be the same
    // now, and again right before the result is renamed into place (sourceUnchanged).
    const QString changed = m_file->changedOnDisk();
    if (!changed.isEmpty()) {
        *error = QStringLiteral("%1; unedited tensors are copied from it, so nothing was saved. "
                                "Open it again to edit the new contents.")
                     .arg(changed);
        return false;
    }
    // Derived tensors (a quantized layer's dequantized weight) are not stored: the
    // writers see the file's own tensors, the layer's packed ones among them.
    WeightFile stored = m_file->storedOnly();
    if (format != own) { // a converted copy; the document is unchanged
        // other formats get encoded tensors (quantized, sparse) as the values they show
        for (TensorPtr& t : stored.tensors)
            if (t->encoding) t = decodedTensor(*t);
        stored.saveCheck = std::make_shared<SaveReadBack>(stored, format, true);
        return format->save(stored, path, error);
    }
    // Read back before the rename: a writer bug becomes this error, not a bad file.
    stored.saveCheck = std::make_shared<SaveReadBack>(stored, format, false);
    if (!format->save(stored, path, error)) return false;
    QString reopenError;
    auto reread = format->read(path, &reopenError);
    if (!reread) {
        *error = QStringLiteral("%1: saved, but reading it back failed: %2").arg(path, reopenError);
        return false;
    }
    rebindAfterSave(*reread);
    m_file->path = path;
    m_file->stamp();
    m_editCounts.clear();
    for (const auto& t : m_file->tensors)
        t->storage->setDirty(false);
    m_lostClean = false;
    m_stack.setClean();
    Q_EMIT modifiedChanged(false);
    Q_EMIT saved(path);
    return true;
}

void Document::rebindAfterSave(const WeightFile& saved) {
    m_file->state = saved.state; // the layout of the file as now written
    for (const auto& t : m_file->tensors) {
        TensorPtr fresh = saved.find(t->name);
        if (fresh && fresh->storage) t->storage->rebindTo(*fresh->storage);
        // an encoding may read storages of its own (sparse components): take the new one
        if (fresh && fresh->encoding && t->encoding) t->encoding = fresh->encoding;
    }
}

} // namespace ws
