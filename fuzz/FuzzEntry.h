// The body of every fuzz target, shared by the libFuzzer executables (fuzz_*.cpp,
// built with clang) and by the unit test that replays fuzz/corpus/<reader>/
// (tests/formats/tst_fuzzreplay.cpp, built with the rest of the suite): one input
// in, what the reader made of it out.
#pragma once

#include <QString>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ws::fuzz {

/// What one input did. Exactly one of: opened (a WeightFile came back), refused
/// (an error message came back). \a violation is set, in either case, when the
/// reader broke a rule (a failure without a message, a valid header whose data
/// would not load): the fuzz target then traps.
struct Outcome {
    bool opened = false;
    QString error;     ///< the reader's message when it refused the file
    int tensors = 0;   ///< tensors in the opened file
    int loaded = 0;    ///< of them, loaded (the rest failed with a message)
    QString violation; ///< empty unless a rule was broken
};

using Entry = Outcome (*)(const uint8_t* data, size_t size);

Outcome fuzzGguf(const uint8_t* data, size_t size);
Outcome fuzzHdf5(const uint8_t* data, size_t size);
Outcome fuzzKeras(const uint8_t* data, size_t size);
Outcome fuzzNumpy(const uint8_t* data, size_t size);
Outcome fuzzOnnx(const uint8_t* data, size_t size);
Outcome fuzzPytorch(const uint8_t* data, size_t size);
Outcome fuzzSafetensors(const uint8_t* data, size_t size);

/// Every entry by reader name, the name of its fuzz target without "fuzz_" and of
/// its folder under fuzz/corpus/.
struct NamedEntry {
    const char* reader;
    Entry entry;
};
const std::vector<NamedEntry>& entries();

/// Traps when \a outcome broke a rule (for LLVMFuzzerTestOneInput).
int trapOnViolation(const Outcome& outcome);

/// Removes this process's scratch files (QDir::tempPath()/ws_fuzz_<pid>).
void removeScratch();

} // namespace ws::fuzz
