// Element conversions against PyTorch's own (fixtures from make_core_fixtures.py).
#include "DType.h"
#include "TestUtil.h"

#include <cmath>

using namespace ws;

class TestDType : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void namesAndSizes();
    void float16MatchesTorch();
    void bfloat16MatchesTorch();
    void integerAndBoolConversionMatchesTorch();
    void halfDecodesEveryPattern();
    void narrowFloatTextIsPlain();
};

void TestDType::namesAndSizes() {
    QCOMPARE(dtypeName(DType::BFloat16), QStringLiteral("bfloat16"));
    QCOMPARE(dtypeName(DType::Int64), QStringLiteral("int64"));
    QCOMPARE(dtypeSize(DType::Float64), 8);
    QCOMPARE(dtypeSize(DType::Bool), 1);
    QCOMPARE(*dtypeFromName(QStringLiteral("torch.float16")), DType::Float16);
    QVERIFY(!dtypeFromName(QStringLiteral("float128")));
}

void TestDType::float16MatchesTorch() {
    wstest::Npy in, bits;
    QVERIFY(wstest::readNpy(wstest::fixture("core/dtype_inputs.npy"), &in));
    QVERIFY(wstest::readNpy(wstest::fixture("core/dtype_f16_bits.npy"), &bits));
    QCOMPARE(in.values.size(), bits.values.size());
    for (size_t i = 0; i < in.values.size(); ++i) {
        char buf[2];
        writeElement(buf, DType::Float16, in.values[i]);
        uint16_t got;
        std::memcpy(&got, buf, 2);
        QVERIFY2(got == uint16_t(bits.values[i]),
                 qPrintable(QStringLiteral("%1 -> %2, torch %3")
                                .arg(in.values[i], 0, 'g', 17)
                                .arg(got, 0, 16)
                                .arg(uint16_t(bits.values[i]), 0, 16)));
    }
}

void TestDType::bfloat16MatchesTorch() {
    wstest::Npy in, bits;
    QVERIFY(wstest::readNpy(wstest::fixture("core/dtype_inputs.npy"), &in));
    QVERIFY(wstest::readNpy(wstest::fixture("core/dtype_bf16_bits.npy"), &bits));
    for (size_t i = 0; i < in.values.size(); ++i) {
        char buf[2];
        writeElement(buf, DType::BFloat16, in.values[i]);
        uint16_t got;
        std::memcpy(&got, buf, 2);
        QCOMPARE(got, uint16_t(bits.values[i]));
        // and the decoded value is the float whose top half these bits are
        uint32_t f32 = uint32_t(got) << 16;
        float expect;
        std::memcpy(&expect, &f32, 4);
        QCOMPARE(float(readElement(buf, DType::BFloat16)), expect);
    }
}

void TestDType::integerAndBoolConversionMatchesTorch() {
    wstest::Npy in, i64, b;
    QVERIFY(wstest::readNpy(wstest::fixture("core/dtype_i64_inputs.npy"), &in));
    QVERIFY(wstest::readNpy(wstest::fixture("core/dtype_i64.npy"), &i64));
    QVERIFY(wstest::readNpy(wstest::fixture("core/dtype_bool.npy"), &b));
    for (size_t i = 0; i < in.values.size(); ++i) {
        QCOMPARE(roundTrip(DType::Int64, in.values[i]), i64.values[i]);
        QCOMPARE(roundTrip(DType::Bool, in.values[i]), b.values[i]);
    }
}

void TestDType::halfDecodesEveryPattern() {
    // Every finite half decodes to a float that encodes back to the same bits.
    for (uint32_t h = 0; h < 0x10000; ++h) {
        if ((h & 0x7c00) == 0x7c00) continue;
        float f = halfToFloat(uint16_t(h));
        QCOMPARE(floatToHalf(f), uint16_t(h));
    }
    QVERIFY(std::isinf(halfToFloat(0x7c00)));
    QVERIFY(std::isnan(halfToFloat(0x7e00)));
    QCOMPARE(halfToFloat(0x3c00), 1.0f);
    QCOMPARE(halfToFloat(0x0001), std::ldexp(1.0f, -24));
}

void TestDType::narrowFloatTextIsPlain() {
    // What the cell table shows: whole numbers whole, decimals positional where Python
    // prints them so, and still the shortest text that is stored as the same value.
    const auto text = [](DType t, double v) {
        char b[2] = {};
        writeElement(b, t, v);
        return elementText(b, t);
    };
    QCOMPARE(text(DType::Float8E4M3, 448), QStringLiteral("448"));
    QCOMPARE(text(DType::Float8E4M3, 30), QStringLiteral("30"));
    QCOMPARE(text(DType::Float8E4M3, -20), QStringLiteral("-20"));
    QCOMPARE(text(DType::Float8E5M2, 57344), QStringLiteral("57344"));
    QCOMPARE(text(DType::BFloat16, 256), QStringLiteral("256"));
    QCOMPARE(text(DType::Float16, 0.1), QStringLiteral("0.1"));
    QCOMPARE(text(DType::BFloat16, 1.5), QStringLiteral("1.5"));
    QCOMPARE(text(DType::Float8E4M3, 0.0390625), QStringLiteral("0.04"));
    QCOMPARE(text(DType::Float16, 1e-5), QStringLiteral("1e-05"));
    QCOMPARE(text(DType::BFloat16, 3e20), QStringLiteral("3e+20"));
}

QTEST_APPLESS_MAIN(TestDType)
#include "tst_dtype.moc"
