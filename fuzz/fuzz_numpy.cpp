// libFuzzer target for the numpy reader; the body (fuzzNumpy in FuzzEntry.cpp) is
// shared with the unit test that replays fuzz/corpus/numpy/.
#include "FuzzEntry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return ws::fuzz::trapOnViolation(ws::fuzz::fuzzNumpy(data, size));
}
