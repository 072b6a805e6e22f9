// Keeping old bytes, applying an operation run by run through the storage's
// overlay, re-encoding the touched blocks of quantized tensors, and merging
// consecutive steps (the first old bytes of each region are the ones kept).
#include "EditUndoCommand.h"
#include "Document.h"
#include "EditApply.h"
#include "TensorIndex.h"

#include <algorithm>
#include <cstring>

namespace ws {

namespace {

/// Elements processed at once (bounds the scratch buffers of a whole-tensor edit).
constexpr int64_t kChunkBytes = int64_t(4) << 20;

/// A run of storage elements: pos, pos + stride, ... (count of them).
struct Run {
    int64_t pos, count, stride;
};

/// The region's runs in region order, adjacent contiguous runs joined.
std::vector<Run> runsOf(const Tensor& t, const Region& r) {
    std::vector<Run> runs;
    r.forEachRun(t, [&](int64_t pos, int64_t count, int64_t stride) {
        if (count == 1) stride = 1;
        if (!runs.empty()) {
            Run& last = runs.back();
            if (stride == 1 && last.stride == 1 && last.pos + last.count == pos) {
                last.count += count;
                return;
            }
        }
        runs.push_back({pos, count, stride});
    });
    return runs;
}

/// Calls f(pos, n, stride, doneBefore) for pieces of the runs of at most \a maxElements.
template <typename F> bool forEachPiece(const std::vector<Run>& runs, int64_t maxElements, F f) {
    int64_t done = 0;
    for (const Run& run : runs)
        for (int64_t k = 0; k < run.count;) {
            const int64_t n = std::min(maxElements, run.count - k);
            if (!f(run.pos + k * run.stride, n, run.stride, done)) return false;
            done += n;
            k += n;
        }
    return true;
}

bool readPiece(const Storage& s, int64_t pos, int64_t n, int64_t stride, int es, char* dst,
               bool original, QString* error) {
    auto read = [&](int64_t at, int64_t bytes, char* to) {
        return original ? s.readOriginalBytes(at, bytes, to, error)
                        : s.readBytes(at, bytes, to, error);
    };
    if (stride == 1) return read(pos * es, n * es, dst);
    for (int64_t k = 0; k < n; ++k)
        if (!read((pos + k * stride) * es, es, dst + k * es)) return false;
    return true;
}

bool writePiece(Storage& s, int64_t pos, int64_t n, int64_t stride, int es, const char* src,
                QString* error) {
    if (stride == 1) return s.writeBytes(pos * es, n * es, src, error);
    for (int64_t k = 0; k < n; ++k)
        if (!s.writeBytes((pos + k * stride) * es, es, src + k * es, error)) return false;
    return true;
}

// "8 B", "12.0 KiB", "766 MiB": what a step holds, for the History dock.
QString bytesText(qint64 n) {
    if (n < 1024) return QStringLiteral("%1 B").arg(n);
    static const char* const units[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = double(n);
    int u = -1;
    while (v >= 1024 && u < 3) {
        v /= 1024;
        ++u;
    }
    return QStringLiteral("%1 %2").arg(v, 0, 'f', v < 10 ? 1 : 0).arg(QLatin1String(units[u]));
}

} // namespace

EditUndoCommand::EditUndoCommand(Document* doc, int tensorIndex, Region region, EditOperation op,
                                 int mergeKey)
    : m_doc(doc), m_tensor(tensorIndex), m_mergeKey(mergeKey) {
    m_steps.push_back({std::move(region), op, nullptr, {}});
    refreshText();
}

EditUndoCommand::EditUndoCommand(Document* doc, int tensorIndex, int mergeKey,
                                 std::vector<Step> steps)
    : m_doc(doc), m_tensor(tensorIndex), m_mergeKey(mergeKey), m_steps(std::move(steps)) {}

const Tensor& EditUndoCommand::tensor() const {
    return *m_doc->file().tensors[size_t(m_tensor)];
}

qint64 EditUndoCommand::byteCost() const {
    qint64 n = 0;
    for (const Step& s : m_steps)
        n += s.old ? s.old->size() : 0;
    return n;
}

qint64 EditUndoCommand::diskCost() const {
    qint64 n = 0;
    for (const Step& s : m_steps)
        n += s.old && !s.old->inMemory() ? s.old->size() : 0;
    return n;
}

QStringList EditUndoCommand::expressions() const {
    QStringList out;
    const Tensor& t = tensor();
    for (const Step& s : m_steps) {
        const QString rhs = s.op.expression();
        for (const QString& index : regionIndexTexts(t, s.region)) {
            const QString target = t.name + index;
            out << (rhs.isEmpty() ? QStringLiteral("%1: %2").arg(target, s.op.describe())
                                  : QStringLiteral("%1 %2").arg(target, rhs));
        }
    }
    return out;
}

void EditUndoCommand::refreshText() {
    const Tensor& t = tensor();
    const Step& last = m_steps.back();
    const QStringList boxes = regionIndexTexts(t, last.region);
    // What undoing it needs: the old bytes it keeps, in memory or spilled to disk.
    const qint64 held = byteCost(), onDisk = diskCost();
    const QString holds =
        held <= 0 ? QString()
        : onDisk > 0
            ? QStringLiteral("   (holds %1, %2 on disk)").arg(bytesText(held), bytesText(onDisk))
            : QStringLiteral("   (holds %1)").arg(bytesText(held));
    setText(QStringLiteral("%1%2%3 %4%5")
                .arg(t.name, boxes.value(0), boxes.size() > 1 ? QStringLiteral(" …") : QString(),
                     last.op.describe(), holds));
}

bool EditUndoCommand::applyPlain(Step& step, QString* error) {
    const Tensor& t = tensor();
    Storage& s = *t.storage;
    const int es = dtypeSize(t.dtype);
    const std::vector<Run> runs = runsOf(t, step.region);
    const bool first = !step.old;
    if (first) {
        step.old = Blob::create(step.region.numel() * es, error);
        if (!step.old) return false;
    }
    std::mt19937_64 rng(step.op.seed);
    std::vector<char> buf(size_t(std::min<int64_t>(kChunkBytes, step.region.numel() * es)));
    const bool restore = step.op.kind == EditOperation::Kind::Restore;
    int64_t applied = 0;
    const bool ok =
        forEachPiece(runs, std::max<int64_t>(1, kChunkBytes / es),
                     [&](int64_t pos, int64_t n, int64_t stride, int64_t done) {
                         char* b = buf.data();
                         if (first || !restore) {
                             if (!readPiece(s, pos, n, stride, es, b, false, error)) return false;
                             if (first && !step.old->write(done * es, n * es, b, error))
                                 return false;
                         }
                         if (restore) {
                             if (!readPiece(s, pos, n, stride, es, b, true, error)) return false;
                         } else if (!applyToStored(step.op, t.dtype, b, n, &rng, error)) {
                             return false;
                         }
                         if (!writePiece(s, pos, n, stride, es, b, error)) return false;
                         applied = done + n;
                         return true;
                     });
    if (ok) return true;
    QString ignored;
    restoreOld(step, applied, &ignored); // leave the tensor as it was
    return false;
}

bool EditUndoCommand::applyEncoded(Step& step, QString* error) {
    const Tensor& t = tensor();
    const TensorEncoding& enc = *t.encoding;
    const int64_t U = enc.unitElements(), UB = enc.unitBytes();
    if (U <= 0 || UB <= 0) {
        *error = QStringLiteral("%1: %2").arg(t.name, enc.readOnlyReason());
        return false;
    }
    Storage& s = *t.storage;
    if (step.units.empty()) {
        std::vector<UnitRun> units;
        step.region.forEachRun(t, [&](int64_t pos, int64_t count, int64_t stride) {
            const int64_t last = pos + (count - 1) * stride;
            units.push_back({pos / U, last / U - pos / U + 1});
        });
        std::sort(units.begin(), units.end(),
                  [](const UnitRun& a, const UnitRun& b) { return a.first < b.first; });
        for (const UnitRun& u : units) {
            if (!step.units.empty() && step.units.back().first + step.units.back().count >= u.first)
                step.units.back().count =
                    std::max(step.units.back().count, u.first + u.count - step.units.back().first);
            else
                step.units.push_back(u);
        }
    }
    int64_t totalUnits = 0;
    for (const UnitRun& u : step.units)
        totalUnits += u.count;
    if (!step.old) {
        step.old = Blob::create(totalUnits * UB, error);
        if (!step.old) return false;
        std::vector<char> bytes;
        int64_t at = 0;
        for (const UnitRun& u : step.units) {
            bytes.resize(size_t(u.count * UB));
            if (!s.readBytes(u.first * UB, u.count * UB, bytes.data(), error) ||
                !step.old->write(at, u.count * UB, bytes.data(), error))
                return false;
            at += u.count * UB;
        }
    }
    std::vector<char> bytes;
    if (step.op.kind == EditOperation::Kind::Restore) {
        for (const UnitRun& u : step.units) {
            bytes.resize(size_t(u.count * UB));
            if (!s.readOriginalBytes(u.first * UB, u.count * UB, bytes.data(), error) ||
                !s.writeBytes(u.first * UB, u.count * UB, bytes.data(), error))
                return false;
        }
        return true;
    }
    // Decode the touched units, change the region's values, re-encode the units.
    std::vector<float> values(size_t(totalUnits * U));
    std::vector<int64_t> starts; // index in values of each unit run
    int64_t at = 0;
    for (const UnitRun& u : step.units) {
        starts.push_back(at);
        if (!enc.decode(t, u.first * U, u.count * U, values.data() + at, error)) return false;
        at += u.count * U;
    }
    auto indexOf = [&](int64_t pos) {
        const int64_t unit = pos / U;
        auto it = std::upper_bound(step.units.begin(), step.units.end(), unit,
                                   [](int64_t x, const UnitRun& u) { return x < u.first; });
        const size_t k = size_t(std::prev(it) - step.units.begin());
        return starts[k] + (pos - step.units[k].first * U);
    };
    std::mt19937_64 rng(step.op.seed);
    step.region.forEachRun(t, [&](int64_t pos, int64_t count, int64_t stride) {
        if (stride == 1 || count == 1) {
            applyToFloats(step.op, values.data() + indexOf(pos), count, &rng);
            return;
        }
        for (int64_t k = 0; k < count; ++k)
            applyToFloats(step.op, values.data() + indexOf(pos + k * stride), 1, &rng);
    });
    for (size_t k = 0; k < step.units.size(); ++k) {
        const UnitRun& u = step.units[k];
        bytes.resize(size_t(u.count * UB));
        if (!enc.encodeUnits(values.data() + starts[k], u.count, bytes.data(), error) ||
            !s.writeBytes(u.first * UB, u.count * UB, bytes.data(), error)) {
            QString ignored;
            restoreOld(step, -1, &ignored);
            return false;
        }
    }
    return true;
}

bool EditUndoCommand::restoreOld(const Step& step, int64_t elements, QString* error) {
    if (!step.old) return true;
    const Tensor& t = tensor();
    Storage& s = *t.storage;
    std::vector<char> buf;
    if (t.encoding) {
        const int64_t UB = t.encoding->unitBytes();
        int64_t at = 0;
        for (const UnitRun& u : step.units) {
            buf.resize(size_t(u.count * UB));
            if (!step.old->read(at, u.count * UB, buf.data(), error) ||
                !s.writeBytes(u.first * UB, u.count * UB, buf.data(), error))
                return false;
            at += u.count * UB;
        }
        return true;
    }
    const int es = dtypeSize(t.dtype);
    if (elements < 0) elements = step.region.numel();
    buf.resize(size_t(std::min<int64_t>(kChunkBytes, std::max<int64_t>(elements, 1) * es)));
    return forEachPiece(runsOf(t, step.region), std::max<int64_t>(1, kChunkBytes / es),
                        [&](int64_t pos, int64_t n, int64_t stride, int64_t done) {
                            if (done >= elements) return true;
                            n = std::min(n, elements - done);
                            return step.old->read(done * es, n * es, buf.data(), error) &&
                                   writePiece(s, pos, n, stride, es, buf.data(), error);
                        });
}

bool EditUndoCommand::apply(Step& step, QString* error) {
    return tensor().encoding ? applyEncoded(step, error) : applyPlain(step, error);
}

bool EditUndoCommand::prepare(QString* error) {
    if (!apply(m_steps.front(), error)) return false;
    m_prepared = true;
    return true;
}

void EditUndoCommand::redo() {
    if (m_skipRedo) {
        m_skipRedo = false;
        return;
    }
    Region changed;
    if (m_prepared) {
        m_prepared = false;
    } else {
        m_error.clear();
        for (Step& s : m_steps)
            if (!apply(s, &m_error)) break;
    }
    for (const Step& s : m_steps)
        for (const Box& b : s.region.boxes())
            changed.addBox(b);
    refreshText(); // the old bytes are kept now: the History says how many
    m_doc->commandApplied(this, changed, +1);
}

void EditUndoCommand::undo() {
    Region changed;
    for (auto it = m_steps.rbegin(); it != m_steps.rend(); ++it) {
        QString err;
        if (!restoreOld(*it, -1, &err) && m_error.isEmpty()) m_error = err;
        for (const Box& b : it->region.boxes())
            changed.addBox(b);
    }
    m_doc->commandApplied(this, changed, -1);
}

bool EditUndoCommand::mergeWith(const QUndoCommand* other) {
    auto* o = dynamic_cast<const EditUndoCommand*>(other);
    if (!o || o->m_rebuilt || m_rebuilt || o->m_mergeKey != m_mergeKey || o->m_tensor != m_tensor ||
        !o->succeeded())
        return false;
    for (const Step& s : o->m_steps) {
        Step& last = m_steps.back();
        const bool overwrite = s.op.kind == EditOperation::Kind::Set &&
                               last.op.kind == EditOperation::Kind::Set && s.region == last.region;
        if (overwrite)
            last.op = s.op; // keep the first old bytes of the region
        else
            m_steps.push_back(s);
    }
    refreshText();
    return true;
}

EditUndoCommand* EditUndoCommand::takeOver(EditUndoCommand* old) {
    auto* c =
        new EditUndoCommand(old->m_doc, old->m_tensor, old->m_mergeKey, std::move(old->m_steps));
    c->m_skipRedo = true;
    c->m_rebuilt = true;
    c->setText(old->text());
    old->m_steps.clear();
    return c;
}

} // namespace ws
