// Running the HDF5 helper program (weightscope-hdf5) from the format: finding
// it, starting it with QProcess (safe in a multithreaded process, unlike fork),
// streaming its input and output, enforcing a time limit, and turning a crash,
// a hang or an exhausted memory limit into a message naming the file.
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <functional>

namespace ws {

/// Limits of every helper run. The time limit applies to any stretch without
/// progress (no byte in or out), so that big datasets may take as long as they
/// keep flowing; a structure walk sends nothing until it is done.
struct Hdf5HelperLimits {
    int timeoutMs = 60000;
    /// Address space the helper may map beyond the program itself; 0: the format
    /// computes it (a base plus what the dataset's chunks and slabs need).
    qint64 memoryBytes = 0;
};
void setHdf5HelperLimits(const Hdf5HelperLimits& limits);
Hdf5HelperLimits hdf5HelperLimits();

/// The helper program: $WS_HDF5_HELPER, else weightscope-hdf5 beside the running
/// executable, else the one in the build folder. Empty with \a error when none exists.
QString hdf5HelperProgram(QString* error);

/// One run of the helper.
struct Hdf5HelperRun {
    QStringList arguments; ///< command and its arguments (limits are added)
    QString file;          ///< the user's file, for messages
    QString what;          ///< "reading the structure", "reading dataset x", ...
    qint64 memoryBudget = 0;
    /// Called with each block the helper writes to stdout; false stops it (\a error set).
    std::function<bool(const char* data, qint64 size, QString* error)> output;
    /// Instead of output: stdout goes straight into these bytes (no more than their
    /// size, else the run fails); \a received counts what came.
    QByteArray* into = nullptr;
    qint64* received = nullptr;
    /// Fills up to \a size bytes of stdin; returns the count, 0 at the end, -1 on error.
    std::function<qint64(char* data, qint64 size, QString* error)> input;
};

/// Runs the helper to completion. False with \a error ("FILE: the HDF5 library
/// crashed reading dataset x (signal 11)", "FILE: <the helper's message>", ...).
bool runHdf5Helper(const Hdf5HelperRun& run, QString* error);

} // namespace ws
