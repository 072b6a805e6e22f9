// libFuzzer target for the hdf5 reader; the body (fuzzHdf5 in FuzzEntry.cpp) is
// shared with the unit test that replays fuzz/corpus/hdf5/.
#include "FuzzEntry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return ws::fuzz::trapOnViolation(ws::fuzz::fuzzHdf5(data, size));
}
