// The session of one window: which document is open, which tensor is shown and
// how (Keras kernels in PyTorch's order or as stored), and which cells are selected,
// with the region an edit applies to in the tensor's own dimensions.
#include "TensorSession.h"

#include <QtTest>

using namespace ws;

namespace {

TensorPtr tensor(const QString& name, std::vector<int64_t> shape, bool inputMajor = false) {
    auto t = std::make_shared<Tensor>();
    t->name = name;
    t->dtype = DType::Float32;
    t->setContiguousShape(std::move(shape));
    t->inputMajor = inputMajor;
    t->storage = Storage::fromBytes(QByteArray(int(t->numel() * 4), '\0'), name);
    return t;
}

std::unique_ptr<WeightFile> file() {
    auto f = std::make_unique<WeightFile>();
    f->path = QStringLiteral("memory");
    f->tensors.push_back(tensor(QStringLiteral("dense.weight"), {4, 6}));
    // a Keras Conv2D kernel (kh, kw, in, out)
    f->tensors.push_back(tensor(QStringLiteral("conv/kernel"), {3, 2, 5, 7}, true));
    return f;
}

} // namespace

class TestTensorSession : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void documentAndShownTensor();
    void kerasKernelsInPyTorchOrder();
    void rectangleSelectionIsClipped();
    void sliceSelectionIsABoxOfTheTensor();
};

void TestTensorSession::documentAndShownTensor() {
    TensorSession s;
    QVERIFY(!s.document());
    QVERIFY(!s.showTensor(0)); // no document
    s.setDocument(file());
    QVERIFY(s.document() && s.file());
    QCOMPARE(&s.document()->file(), s.file().get());
    QCOMPARE(s.shownIndex(), -1);
    Region r;
    QVERIFY(!s.editTarget(&r)); // nothing shown
    QVERIFY(!s.showTensor(2));
    QVERIFY(!s.showTensor(-1));
    QVERIFY(s.showTensor(0));
    QCOMPARE(s.shownIndex(), 0);
    QCOMPARE(s.displayed(), s.file()->tensors[0]); // shown as stored
    QVERIFY(s.order().empty());
    QVERIFY(s.editTarget(&r)); // nothing selected: the whole tensor
    QCOMPARE(r.numel(), int64_t(24));
    // a document outlives the session while someone holds it
    std::weak_ptr<Document> old = s.document();
    std::shared_ptr<Document> held = s.document();
    s.setDocument(file());
    QCOMPARE(s.shownIndex(), -1);
    QVERIFY(!old.expired());
    held.reset();
    QVERIFY(old.expired());
    s.closeDocument();
    QVERIFY(!s.document() && !s.file() && !s.displayed());
}

void TestTensorSession::kerasKernelsInPyTorchOrder() {
    TensorSession s;
    s.setDocument(file());
    QVERIFY(s.pytorchOrder());
    QVERIFY(s.showTensor(1));
    QCOMPARE(s.displayed()->shape, (std::vector<int64_t>{7, 5, 3, 2}));
    QCOMPARE(s.order(), (std::vector<int>{3, 2, 0, 1}));
    // out channel 6, in channel 4, kernel cell (2, 1) of the view is (2, 1, 4, 6) stored
    Box box;
    box.start = {6, 4, 2, 1};
    box.size = {1, 1, 1, 1};
    Region view;
    view.addBox(box);
    const Region base = s.toBase(view);
    QCOMPARE(base.boxes().size(), size_t(1));
    QCOMPARE(base.boxes()[0].start, (std::vector<int64_t>{2, 1, 4, 6}));
    QCOMPARE(s.fromBase(base).boxes()[0].start, box.start);
    // as stored when the option is off
    s.setPyTorchOrder(false);
    QVERIFY(s.showTensor(1));
    QCOMPARE(s.displayed()->shape, (std::vector<int64_t>{3, 2, 5, 7}));
    QVERIFY(s.order().empty());
    QCOMPARE(s.toBase(view).boxes()[0].start, box.start);
}

void TestTensorSession::rectangleSelectionIsClipped() {
    TensorSession s;
    s.setDocument(file());
    QVERIFY(s.showTensor(0));
    s.selectRect(2, 4, 10, 10); // 4 x 6: rows 2-3, columns 4-5
    QCOMPARE(s.selection().row, int64_t(2));
    QCOMPARE(s.selection().col, int64_t(4));
    QCOMPARE(s.selection().rows, int64_t(2));
    QCOMPARE(s.selection().cols, int64_t(2));
    Region r;
    QVERIFY(s.editTarget(&r));
    QCOMPARE(r.numel(), int64_t(4));
    s.selectRect(1, 6, 2, 2); // past the last column: nothing
    QVERIFY(s.selection().isEmpty());
    QCOMPARE(s.selection().rows, int64_t(0));
    QVERIFY(s.editTarget(&r));
    QCOMPARE(r.numel(), int64_t(24));
    s.selectRect(-3, -3, 4, 4);
    QCOMPARE(s.selection().row, int64_t(0));
    QCOMPARE(s.selection().rows, int64_t(4));
    // showing a tensor clears the selection
    QVERIFY(s.showTensor(0));
    QVERIFY(s.selection().isEmpty());
}

void TestTensorSession::sliceSelectionIsABoxOfTheTensor() {
    TensorSession s;
    s.setDocument(file());
    QVERIFY(s.showTensor(1)); // displayed (7, 5, 3, 2)
    // rows along dim 0, columns along dim 2, dim 1 at 4 and dim 3 at 1
    QVERIFY(s.selectInSlice(0, 2, {0, 4, 0, 1}, 5, 1, 9, 9));
    QVERIFY(s.sliceSelection());
    QCOMPARE(s.sliceSelection()->rows, int64_t(2)); // rows 5-6 of 7
    QCOMPARE(s.sliceSelection()->cols, int64_t(2)); // columns 1-2 of 3
    Region r;
    QVERIFY(s.editTarget(&r));
    QCOMPARE(r.boxes()[0].start, (std::vector<int64_t>{5, 4, 1, 1}));
    QCOMPARE(r.boxes()[0].size, (std::vector<int64_t>{2, 1, 2, 1}));
    QCOMPARE(s.toBase(r).boxes()[0].start, (std::vector<int64_t>{1, 1, 4, 5}));
    // a rectangle selection replaces it, and an empty slice selection clears both
    s.selectRect(0, 0, 1, 1);
    QVERIFY(!s.sliceSelection());
    QVERIFY(!s.selectInSlice(0, 2, {0, 4, 0, 1}, 7, 0, 3, 3));
    QVERIFY(!s.sliceSelection() && s.selection().isEmpty());
    // axes that the tensor lacks change nothing
    s.selectRect(0, 0, 1, 1);
    QVERIFY(!s.selectInSlice(0, 4, {0, 0, 0, 0}, 0, 0, 1, 1));
    QCOMPARE(s.selection().rows, int64_t(1));
}

QTEST_GUILESS_MAIN(TestTensorSession)
#include "tst_tensorsession.moc"
