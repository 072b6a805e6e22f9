// libFuzzer target for the GGUF reader and the ggml block codecs; the body (fuzzGguf in
// FuzzEntry.cpp: header parse in memory, open, decode every tensor, re-quantize decoded
// blocks) is shared with the unit test that replays fuzz/corpus/gguf/.
#include "FuzzEntry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return ws::fuzz::trapOnViolation(ws::fuzz::fuzzGguf(data, size));
}
