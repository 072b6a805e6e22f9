// libFuzzer target for the onnx reader; the body (fuzzOnnx in FuzzEntry.cpp) is
// shared with the unit test that replays fuzz/corpus/onnx/.
#include "FuzzEntry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return ws::fuzz::trapOnViolation(ws::fuzz::fuzzOnnx(data, size));
}
