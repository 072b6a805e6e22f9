// Region cloning, the per-dtype loops that apply an operation, and merging of
// consecutive steps (the first clone of each region is the one kept).
#include "EditUndoCommand.h"
#include "Document.h"

#include <cmath>
#include <cstring>
#include <random>

namespace ws {

EditUndoCommand::EditUndoCommand(Document* doc, int tensorIndex, Region region, EditOperation op,
                                 int mergeKey)
    : m_doc(doc), m_tensor(tensorIndex), m_mergeKey(mergeKey) {
    const Tensor& t = *doc->file().tensors[size_t(tensorIndex)];
    setText(QStringLiteral("%1 %2").arg(t.name, op.describe()));
    m_steps.push_back({std::move(region), op, {}, {}});
}

EditUndoCommand::EditUndoCommand(Document* doc, int tensorIndex, int mergeKey,
                                 std::vector<Step> steps)
    : m_doc(doc), m_tensor(tensorIndex), m_mergeKey(mergeKey), m_steps(std::move(steps)) {}

qint64 EditUndoCommand::byteCost() const {
    qint64 n = 0;
    for (const Step& s : m_steps)
        n += s.oldBytes.size() + s.newBytes.size();
    return n;
}

namespace {

void gather(const Tensor& t, const Region& r, QByteArray* out) {
    const int es = dtypeSize(t.dtype);
    out->resize(qsizetype(r.numel() * es));
    char* dst = out->data();
    const char* src = t.storage->data();
    r.forEachRun(t, [&](int64_t pos, int64_t count, int64_t stride) {
        if (stride == 1) {
            std::memcpy(dst, src + pos * es, size_t(count * es));
            dst += count * es;
        } else {
            for (int64_t k = 0; k < count; ++k, dst += es)
                std::memcpy(dst, src + (pos + k * stride) * es, size_t(es));
        }
    });
}

void scatter(const Tensor& t, const Region& r, const QByteArray& bytes) {
    const int es = dtypeSize(t.dtype);
    const char* src = bytes.constData();
    char* dst = t.storage->mutableData();
    r.forEachRun(t, [&](int64_t pos, int64_t count, int64_t stride) {
        if (stride == 1) {
            std::memcpy(dst + pos * es, src, size_t(count * es));
            src += count * es;
        } else {
            for (int64_t k = 0; k < count; ++k, src += es)
                std::memcpy(dst + (pos + k * stride) * es, src, size_t(es));
        }
    });
}

// Typed loop for float32 and float64, computed in the tensor's own type as PyTorch does.
template <typename T> void applyTyped(const Tensor& t, const Region& r, const EditOperation& op) {
    T* data = reinterpret_cast<T*>(t.storage->mutableData());
    r.forEachRun(t, [&](int64_t pos, int64_t count, int64_t stride) {
        T* p = data + pos;
        if (op.kind == EditOperation::Kind::Set) {
            const T v = T(op.a);
            for (int64_t k = 0; k < count; ++k)
                p[k * stride] = v;
        } else {
            for (int64_t k = 0; k < count; ++k)
                p[k * stride] = op.applyIn<T>(p[k * stride]);
        }
    });
}

// Other types convert through their math type: float for float16/bfloat16 (then
// rounded to nearest even), int64 for integers when the operand is integral.
void applyGeneric(const Tensor& t, const Region& r, const EditOperation& op) {
    const int es = dtypeSize(t.dtype);
    char* data = t.storage->mutableData();
    const DType dt = t.dtype;
    const bool halfMath = dt == DType::Float16 || dt == DType::BFloat16;
    const bool intMath = !isFloatingPoint(dt) && dt != DType::Bool && std::trunc(op.a) == op.a &&
                         std::trunc(op.b) == op.b && op.kind != EditOperation::Kind::Divide &&
                         std::abs(op.a) < 9e18 && std::abs(op.b) < 9e18;
    // PyTorch casts a scalar operand to the tensor's type before computing.
    EditOperation rounded = op;
    if (halfMath) {
        rounded.a = roundTrip(dt, op.a);
        rounded.b = roundTrip(dt, op.b);
    }
    r.forEachRun(t, [&](int64_t pos, int64_t count, int64_t stride) {
        for (int64_t k = 0; k < count; ++k) {
            char* p = data + (pos + k * stride) * es;
            const double v = readElement(p, dt);
            double out;
            if (halfMath)
                out = rounded.applyIn<float>(float(v));
            else if (intMath)
                out = double(op.applyIn<int64_t>(int64_t(v)));
            else
                out = op.apply(v);
            writeElement(p, dt, out);
        }
    });
}

void applyUniform(const Tensor& t, const Region& r, const EditOperation& op) {
    std::mt19937_64 rng(op.seed);
    std::uniform_real_distribution<double> dist(-op.a, op.a);
    const int es = dtypeSize(t.dtype);
    char* data = t.storage->mutableData();
    r.forEachRun(t, [&](int64_t pos, int64_t count, int64_t stride) {
        for (int64_t k = 0; k < count; ++k)
            writeElement(data + (pos + k * stride) * es, t.dtype, dist(rng));
    });
}

} // namespace

void EditUndoCommand::apply(Step& step) {
    const Tensor& t = *m_doc->file().tensors[size_t(m_tensor)];
    if (step.oldBytes.isEmpty()) gather(t, step.region, &step.oldBytes);
    switch (step.op.kind) {
    case EditOperation::Kind::Restore:
        if (step.newBytes.isEmpty()) {
            QByteArray original;
            QString err;
            if (!t.storage->readOriginal(&original, &err)) {
                m_error = err;
                return;
            }
            Tensor view = t;
            auto copy = Storage::fromBytes(original, t.storage->key());
            view.storage = copy;
            gather(view, step.region, &step.newBytes);
        }
        scatter(t, step.region, step.newBytes);
        break;
    case EditOperation::Kind::Uniform:
        applyUniform(t, step.region, step.op);
        break;
    default:
        if (t.dtype == DType::Float32)
            applyTyped<float>(t, step.region, step.op);
        else if (t.dtype == DType::Float64)
            applyTyped<double>(t, step.region, step.op);
        else
            applyGeneric(t, step.region, step.op);
    }
}

void EditUndoCommand::redo() {
    if (m_skipRedo) {
        m_skipRedo = false;
        return;
    }
    Region changed;
    for (Step& s : m_steps) {
        apply(s);
        for (const Box& b : s.region.boxes())
            changed.addBox(b);
    }
    m_doc->commandApplied(this, changed, +1);
}

void EditUndoCommand::undo() {
    const Tensor& t = *m_doc->file().tensors[size_t(m_tensor)];
    Region changed;
    for (auto it = m_steps.rbegin(); it != m_steps.rend(); ++it) {
        if (!it->oldBytes.isEmpty()) scatter(t, it->region, it->oldBytes);
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
        if (overwrite) {
            last.op = s.op; // keep the first clone of the region
        } else {
            m_steps.push_back(s);
        }
    }
    const Tensor& t = *m_doc->file().tensors[size_t(m_tensor)];
    setText(QStringLiteral("%1 %2").arg(t.name, m_steps.back().op.describe()));
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
