#include "GgufBenchFile.h"
namespace wsbench { int benchGgufFile(const QString&) { return 1; } }
