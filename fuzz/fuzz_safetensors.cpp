// libFuzzer target for the safetensors reader; the body (fuzzSafetensors in FuzzEntry.cpp) is
// shared with the unit test that replays fuzz/corpus/safetensors/.
#include "FuzzEntry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return ws::fuzz::trapOnViolation(ws::fuzz::fuzzSafetensors(data, size));
}
