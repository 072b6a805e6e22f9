// libFuzzer target for Keras 3 .keras archives; the body (fuzzKeras in FuzzEntry.cpp) is
// shared with the unit test that replays fuzz/corpus/keras/.
#include "FuzzEntry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return ws::fuzz::trapOnViolation(ws::fuzz::fuzzKeras(data, size));
}
