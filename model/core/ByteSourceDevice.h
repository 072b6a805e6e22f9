// A ByteSource read through QIODevice: readers written against QIODevice (the GGUF
// header parser, the zip reader) read a URL as they read a file. Each read is one
// range of the source; nothing is buffered here (the sources cache what they fetch).
#pragma once

#include "ByteSource.h"

#include <QIODevice>

namespace ws {

class ByteSourceDevice : public QIODevice {
public:
    /// Opened read-only and unbuffered on \a source.
    explicit ByteSourceDevice(ByteSourcePtr source);
    bool isSequential() const override { return false; }
    qint64 size() const override;
    /// Why the last read failed (the server's or the file's message), or empty.
    QString readError() const { return m_readError; }
    const ByteSourcePtr& source() const { return m_source; }

protected:
    qint64 readData(char* data, qint64 maxSize) override;
    qint64 writeData(const char*, qint64) override { return -1; }

private:
    ByteSourcePtr m_source;
    QString m_readError;
};

} // namespace ws
