// The document's command engine: every operation's redo then undo restores
// the exact bytes, merging, the undo memory budget, aliasing, N-D regions.
#include "Document.h"
#include "EditUndoCommand.h"
#include "TestUtil.h"

#include "Blob.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <cmath>
#include <set>

using namespace ws;

namespace {

// A file-backed document: one storage per tensor, so that "restore original"
// can re-read the file.
struct Fixture {
    QTemporaryDir dir;
    std::unique_ptr<Document> doc;

    void build(const std::vector<std::tuple<QString, DType, std::vector<int64_t>>>& specs) {
        auto file = std::make_unique<WeightFile>();
        file->path = dir.filePath(QStringLiteral("w.bin"));
        QFile f(file->path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        qint64 offset = 0;
        uint32_t seed = 1;
        for (const auto& [name, dtype, shape] : specs) {
            auto t = std::make_shared<Tensor>();
            t->name = name;
            t->dtype = dtype;
            t->setContiguousShape(shape);
            QByteArray bytes(int(t->numel() * dtypeSize(dtype)), 0);
            for (int64_t i = 0; i < t->numel(); ++i) {
                seed = seed * 1103515245u + 12345u;
                double v = double(int(seed >> 16) % 2000 - 1000) / 97.0;
                if (dtype == DType::Bool) v = (seed >> 20) & 1;
                writeElement(bytes.data() + i * dtypeSize(dtype), dtype, v);
            }
            f.write(bytes);
            t->storage = Storage::fromFileRange(file->path, offset, bytes.size(), name);
            offset += bytes.size();
            file->tensors.push_back(t);
        }
        f.close();
        doc = std::make_unique<Document>(std::move(file));
    }
    QByteArray bytes(int i) {
        const auto& t = doc->file().tensors[size_t(i)];
        QString err;
        QByteArray out;
        t->storage->readAll(&out, &err);
        return out;
    }
};

} // namespace

class TestDocument : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void redoUndoRestoresExactBytes_data();
    void redoUndoRestoresExactBytes();
    void valuesStoredInDtype();
    void restoreOriginal();
    void typingInOneCellMerges();
    void budgetDropsOldestSteps();
    void historySaysWhatEachStepHolds();
    void sharedStorageChangesTogether();
    void rectOfNdTensorCoversExactlyTheView();
    void rejectsBadEdits();
};

void TestDocument::redoUndoRestoresExactBytes_data() {
    QTest::addColumn<int>("dtype");
    QTest::addColumn<int>("op");
    const DType types[] = {DType::Float32, DType::Float16, DType::BFloat16,
                           DType::Float64, DType::Int64,   DType::Int32,
                           DType::Int8,    DType::UInt8,   DType::Bool};
    for (DType d : types)
        for (int op = 0; op <= int(EditOperation::Kind::Restore); ++op)
            QTest::addRow("%s-op%d", qPrintable(dtypeName(d)), op) << int(d) << op;
}

void TestDocument::redoUndoRestoresExactBytes() {
    QFETCH(int, dtype);
    QFETCH(int, op);
    Fixture fx;
    fx.build({{QStringLiteral("fc.weight"), DType(dtype), {7, 9}}});
    const QByteArray before = fx.bytes(0);
    // Integer and bool tensors take integer operands (PyTorch refuses a float operand
    // for their in-place arithmetic); what PyTorch refuses is refused, nothing changed.
    const bool integral = isInteger(DType(dtype)) || DType(dtype) == DType::Bool;
    EditOperation o{EditOperation::Kind(op), integral ? Scalar(2.0) : Scalar(2.5), Scalar(3.0), 42};
    if (o.kind == EditOperation::Kind::Clamp) o.a = -1.0;
    const Tensor& t = *fx.doc->file().tensors[0];
    QString err;
    if (!o.refusal(DType(dtype)).isEmpty()) {
        QVERIFY(!fx.doc->edit(0, Region::rect2d(t, 1, 2, 4, 5), o, &err));
        QVERIFY2(err.contains(dtypeName(DType(dtype))) || err.contains(QLatin1String("bool")),
                 qPrintable(err));
        QCOMPARE(fx.bytes(0), before);
        QCOMPARE(fx.doc->undoStack()->count(), 0);
        return;
    }
    if (!fx.doc->edit(0, Region::rect2d(t, 1, 2, 4, 5), o, &err)) {
        // an integer result beyond the type's range: refused, the tensor as it was
        QVERIFY2(err.contains(integerRangeText(DType(dtype))), qPrintable(err));
        QCOMPARE(fx.bytes(0), before);
        return;
    }
    const QByteArray after = fx.bytes(0);
    fx.doc->undoStack()->undo();
    QCOMPARE(fx.bytes(0), before);
    fx.doc->undoStack()->redo();
    QCOMPARE(fx.bytes(0), after);
    fx.doc->undoStack()->undo();
    QCOMPARE(fx.bytes(0), before);
    QVERIFY(!fx.doc->isModified());
}

void TestDocument::valuesStoredInDtype() {
    Fixture fx;
    fx.build({{QStringLiteral("h"), DType::Float16, {4}},
              {QStringLiteral("i"), DType::Int64, {4}},
              {QStringLiteral("b"), DType::Bool, {4}}});
    QString err;
    auto& f = fx.doc->file();
    QVERIFY(fx.doc->edit(0, Region::whole(*f.tensors[0]), EditOperation::set(0.1), &err));
    QCOMPARE(f.tensors[0]->at(2), double(halfToFloat(floatToHalf(0.1f))));
    QCOMPARE(f.tensors[0]->at(2), 0.0999755859375); // torch.tensor(0.1, dtype=torch.half)
    QVERIFY(fx.doc->edit(1, Region::whole(*f.tensors[1]), EditOperation::set(-2.7), &err));
    QCOMPARE(f.tensors[1]->at(0), -2.0); // truncation toward zero, as torch's fill_
    QVERIFY(fx.doc->edit(2, Region::whole(*f.tensors[2]), EditOperation::set(0.5), &err));
    QCOMPARE(f.tensors[2]->at(3), 1.0);
    QVERIFY(fx.doc->isModified());
    QVERIFY(fx.doc->isEdited(0));
}

void TestDocument::restoreOriginal() {
    Fixture fx;
    fx.build({{QStringLiteral("w"), DType::Float32, {5, 5}}});
    const QByteArray before = fx.bytes(0);
    QString err;
    const Tensor& t = *fx.doc->file().tensors[0];
    QVERIFY(fx.doc->edit(0, Region::whole(t), EditOperation::set(7), &err));
    QVERIFY(fx.doc->edit(0, Region::rect2d(t, 0, 0, 2, 5), EditOperation::restore(), &err));
    QCOMPARE(t.at(0), double(reinterpret_cast<const float*>(before.constData())[0]));
    QCOMPARE(t.at(10), 7.0);
    QVERIFY(fx.doc->edit(0, Region::whole(t), EditOperation::restore(), &err));
    QCOMPARE(fx.bytes(0), before);
    MatrixF orig;
    QVERIFY(fx.doc->originalValues(0, &orig, &err));
    QCOMPARE(orig(0, 0), reinterpret_cast<const float*>(before.constData())[0]);
}

void TestDocument::typingInOneCellMerges() {
    Fixture fx;
    fx.build({{QStringLiteral("w"), DType::Float32, {3, 3}}});
    const QByteArray before = fx.bytes(0);
    const Tensor& t = *fx.doc->file().tensors[0];
    QString err;
    const int key = Document::cellMergeKey(0, 1, 1);
    for (double v : {1.0, 12.0, 123.0})
        QVERIFY(fx.doc->edit(0, Region::cell2d(t, 1, 1), EditOperation::set(v), &err, key));
    QCOMPARE(fx.doc->undoStack()->count(), 1);
    QCOMPARE(t.at(4), 123.0);
    // a drag over several bars is one step too
    const int drag = Document::newGestureKey();
    for (int c = 0; c < 3; ++c)
        QVERIFY(fx.doc->edit(0, Region::cell2d(t, 0, c), EditOperation::set(c), &err, drag));
    QVERIFY(fx.doc->edit(0, Region::cell2d(t, 0, 0), EditOperation::set(9), &err, drag));
    QCOMPARE(fx.doc->undoStack()->count(), 2);
    QCOMPARE(t.at(0), 9.0);
    fx.doc->undoStack()->undo();
    fx.doc->undoStack()->undo();
    QCOMPARE(fx.bytes(0), before);
    // an edit without a key does not merge
    QVERIFY(fx.doc->edit(0, Region::cell2d(t, 1, 1), EditOperation::set(1), &err));
    QVERIFY(fx.doc->edit(0, Region::cell2d(t, 1, 1), EditOperation::set(2), &err));
    QCOMPARE(fx.doc->undoStack()->count(), 2);
}

void TestDocument::budgetDropsOldestSteps() {
    Fixture fx;
    fx.build({{QStringLiteral("w"), DType::Float32, {100, 100}}}); // 40000 bytes
    const Tensor& t = *fx.doc->file().tensors[0];
    fx.doc->setUndoBudget(100000); // room for two whole-tensor clones
    QString err;
    std::vector<QByteArray> states{fx.bytes(0)};
    for (int i = 1; i <= 5; ++i) {
        QVERIFY(fx.doc->edit(0, Region::whole(t), EditOperation::add(i), &err));
        states.push_back(fx.bytes(0));
    }
    QCOMPARE(fx.doc->undoStack()->count(), 2);
    QVERIFY(fx.doc->undoBytes() <= 100000);
    QVERIFY(fx.doc->isModified());
    fx.doc->undoStack()->undo();
    QCOMPARE(fx.bytes(0), states[4]);
    fx.doc->undoStack()->undo();
    QCOMPARE(fx.bytes(0), states[3]);
    QVERIFY(!fx.doc->undoStack()->canUndo());
    QVERIFY(fx.doc->isModified()); // the clean state was dropped
    fx.doc->undoStack()->redo();
    fx.doc->undoStack()->redo();
    QCOMPARE(fx.bytes(0), states[5]);
    // a whole-tensor fill needs exactly one clone of the tensor
    fx.doc->setUndoBudget(qint64(1) << 30);
    const qint64 bytesBefore = fx.doc->undoBytes();
    QVERIFY(fx.doc->edit(0, Region::whole(t), EditOperation::set(0.1), &err));
    QCOMPARE(fx.doc->undoBytes() - bytesBefore, qint64(40000));
}

void TestDocument::sharedStorageChangesTogether() {
    Fixture fx;
    fx.build({{QStringLiteral("wte.weight"), DType::Float32, {3, 4}}});
    auto& f = fx.doc->file();
    auto tied = std::make_shared<Tensor>(*f.tensors[0]);
    tied->name = QStringLiteral("lm_head.weight");
    auto transposed = std::make_shared<Tensor>(*f.tensors[0]);
    transposed->name = QStringLiteral("wte.T");
    transposed->shape = {4, 3};
    transposed->strides = {1, 4};
    f.tensors.push_back(tied);
    f.tensors.push_back(transposed);
    QSignalSpy spy(fx.doc.get(), &Document::valuesChanged);
    QString err;
    QVERIFY(fx.doc->edit(0, Region::cell2d(*f.tensors[0], 1, 2), EditOperation::set(5), &err));
    QCOMPARE(tied->at(1 * 4 + 2), 5.0);
    QCOMPARE(transposed->at(2 * 3 + 1), 5.0);
    QCOMPARE(spy.count(), 3);
    QSet<int> notified;
    for (const auto& args : spy)
        notified << args.at(0).toInt();
    QCOMPARE(notified, (QSet<int>{0, 1, 2}));
    QVERIFY(fx.doc->isEdited(1));
    // editing through the transposed view lands in the right element
    QVERIFY(fx.doc->edit(2, Region::cell2d(*transposed, 3, 0), EditOperation::set(-1), &err));
    QCOMPARE(f.tensors[0]->at(0 * 4 + 3), -1.0);
}

void TestDocument::rectOfNdTensorCoversExactlyTheView() {
    Tensor t;
    t.name = QStringLiteral("conv");
    t.setContiguousShape({3, 2, 3, 4}); // 2-D view: 3 x 24
    for (auto [r0, c0, nr, nc] : std::vector<std::array<int64_t, 4>>{
             {0, 0, 3, 24}, {1, 5, 2, 13}, {0, 23, 3, 1}, {2, 0, 1, 12}, {0, 3, 1, 17}}) {
        Region reg = Region::rect2d(t, r0, c0, nr, nc);
        std::multiset<int64_t> got;
        reg.forEachRun(t, [&](int64_t p, int64_t n, int64_t s) {
            for (int64_t k = 0; k < n; ++k)
                got.insert(p + k * s);
        });
        std::multiset<int64_t> expect;
        for (int64_t r = r0; r < r0 + nr; ++r)
            for (int64_t c = c0; c < c0 + nc; ++c)
                expect.insert(r * 24 + c);
        QCOMPARE(got, expect);
        int64_t br, bc, bnr, bnc;
        reg.bounds2d(t, &br, &bc, &bnr, &bnc);
        QCOMPARE(br, r0);
        QCOMPARE(bnr, nr);
        if (nr == 1) {
            QCOMPARE(bc, c0);
            QCOMPARE(bnc, nc);
        }
    }
}

void TestDocument::rejectsBadEdits() {
    Fixture fx;
    fx.build({{QStringLiteral("w"), DType::Int32, {2, 2}}});
    QString err;
    Region outside;
    outside.addBox({{0, 0}, {3, 1}});
    QVERIFY(!fx.doc->edit(0, outside, EditOperation::set(1), &err));
    QVERIFY(err.contains(QStringLiteral("outside")));
    QVERIFY(!fx.doc->edit(0, Region::whole(*fx.doc->file().tensors[0]), EditOperation::divide(0),
                          &err));
    QVERIFY(!fx.doc->edit(QStringLiteral("nope"), Region(), EditOperation::set(1), &err));
    QVERIFY(err.contains(QStringLiteral("nope")));
    QCOMPARE(fx.doc->undoStack()->count(), 0);
}

void TestDocument::historySaysWhatEachStepHolds() {
    Fixture fx;
    fx.build({{QStringLiteral("fc.weight"), DType::Float32, {1024, 1024}}});
    const Tensor& t = *fx.doc->file().tensors[0];
    QString err;
    QVERIFY(fx.doc->edit(0, Region::cell2d(t, 3, 4), EditOperation::set(1.5), &err));
    const QUndoStack* stack = fx.doc->undoStack();
    QCOMPARE(stack->count(), 1);
    QVERIFY2(stack->text(0).startsWith(QStringLiteral("fc.weight[3, 4] ")),
             qPrintable(stack->text(0)));
    QVERIFY2(stack->text(0).endsWith(QStringLiteral("   (holds 4 B)")), qPrintable(stack->text(0)));
    // a step beyond the edit memory budget keeps its old values in a temporary file
    const int64_t budget = EditMemory::budget();
    EditMemory::setBudget(1024);
    QVERIFY(fx.doc->edit(0, Region::whole(t), EditOperation::multiply(2.0), &err));
    EditMemory::setBudget(budget);
    QCOMPARE(stack->count(), 2);
    QVERIFY2(stack->text(1).endsWith(QStringLiteral("   (holds 4.0 MiB, 4.0 MiB on disk)")),
             qPrintable(stack->text(1)));
}

QTEST_GUILESS_MAIN(TestDocument)
#include "tst_document.moc"
