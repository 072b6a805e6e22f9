// Permuted views show Keras kernels as PyTorch stores them, and edits made in
// such a view land in the right elements of the kernel.
#include "Document.h"
#include "TensorPermute.h"
#include "TestUtil.h"

using namespace ws;

class TestTensorPermute : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void denseKernel();
    void convKernelAndEditThroughView();
};

void TestTensorPermute::denseKernel() {
    Tensor k;
    k.name = QStringLiteral("dense/kernel:0");
    k.setContiguousShape({3, 2}); // (in, out)
    std::vector<float> d{0, 1, 2, 3, 4, 5};
    k.storage = Storage::fromBytes(QByteArray(reinterpret_cast<const char*>(d.data()), 24), "k");
    k.inputMajor = true;
    const auto order = pytorchOrder(k);
    QCOMPARE(order, (std::vector<int>{1, 0}));
    Tensor v = permutedView(k, order);
    QCOMPARE(v.shape, (std::vector<int64_t>{2, 3})); // (out, in)
    MatrixF m;
    QString err;
    QVERIFY(v.values(&m, &err));
    for (int o = 0; o < 2; ++o)
        for (int i = 0; i < 3; ++i)
            QCOMPARE(m(o, i), d[size_t(i * 2 + o)]);
    k.inputMajor = false;
    QCOMPARE(pytorchOrder(k), (std::vector<int>{0, 1}));
}

void TestTensorPermute::convKernelAndEditThroughView() {
    auto file = std::make_unique<WeightFile>();
    auto k = std::make_shared<Tensor>();
    k->name = QStringLiteral("conv/kernel:0");
    k->setContiguousShape({2, 3, 4, 5}); // (kh, kw, in, out)
    std::vector<float> d(120);
    for (int i = 0; i < 120; ++i)
        d[size_t(i)] = float(i);
    k->storage = Storage::fromBytes(QByteArray(reinterpret_cast<const char*>(d.data()), 480), "k");
    k->inputMajor = true;
    file->tensors.push_back(k);
    Document doc(std::move(file));
    const auto order = pytorchOrder(*k);
    QCOMPARE(order, (std::vector<int>{3, 2, 0, 1}));
    Tensor v = permutedView(*k, order);
    QCOMPARE(v.shape, (std::vector<int64_t>{5, 4, 2, 3})); // (out, in, kh, kw)
    QString err;
    QVERIFY(v.check(&err));
    auto base = [](int y, int x, int i, int o) { return ((y * 3 + x) * 4 + i) * 5 + o; };
    for (int o = 0; o < 5; ++o)
        for (int i = 0; i < 4; ++i)
            for (int y = 0; y < 2; ++y)
                for (int x = 0; x < 3; ++x)
                    QCOMPARE(v.at(((o * 4 + i) * 2 + y) * 3 + x), double(base(y, x, i, o)));
    // edit view cell (o=1, i=2, y=0, x=1) and row o=4 of the view's 2-D layout
    Region cell;
    cell.addBox({{1, 2, 0, 1}, {1, 1, 1, 1}});
    QVERIFY(doc.edit(0, regionToBase(cell, order), EditOperation::set(-7), &err));
    QCOMPARE(k->at(base(0, 1, 2, 1)), -7.0);
    Region row = Region::rect2d(v, 4, 0, 1, v.cols()); // all of output channel 4
    QVERIFY(doc.edit(0, regionToBase(row, order), EditOperation::set(9), &err));
    for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 3; ++x)
            for (int i = 0; i < 4; ++i)
                QCOMPARE(k->at(base(y, x, i, 4)), 9.0);
    QCOMPARE(k->at(base(0, 0, 0, 3)), double(base(0, 0, 0, 3)));
}

QTEST_GUILESS_MAIN(TestTensorPermute)
#include "tst_tensorpermute.moc"
