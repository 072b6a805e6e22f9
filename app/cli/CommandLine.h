// The weightscope command line: `info` and `export`, run by the same binary as
// the GUI when argv[1] names a command.
#pragma once

namespace ws {

/// True when argv[1] is info/export/help/--help/-h/--version.
bool isCommandLineInvocation(int argc, char** argv);
/// Runs the command; returns the process exit code (0 ok, 1 bad usage,
/// 2 unreadable file or unknown tensor).
int runCommandLine(int argc, char** argv);

} // namespace ws
