// libFuzzer target for the pytorch reader; the body (fuzzPytorch in FuzzEntry.cpp) is
// shared with the unit test that replays fuzz/corpus/pytorch/.
#include "FuzzEntry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return ws::fuzz::trapOnViolation(ws::fuzz::fuzzPytorch(data, size));
}
