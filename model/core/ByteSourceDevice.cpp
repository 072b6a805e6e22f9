#include "ByteSourceDevice.h"

#include <algorithm>

namespace ws {

ByteSourceDevice::ByteSourceDevice(ByteSourcePtr source) : m_source(std::move(source)) {
    open(QIODevice::ReadOnly | QIODevice::Unbuffered);
}

qint64 ByteSourceDevice::size() const {
    return m_source->size();
}

qint64 ByteSourceDevice::readData(char* data, qint64 maxSize) {
    const qint64 n = std::min(maxSize, m_source->size() - pos());
    if (n <= 0) return 0;
    if (!m_source->read(pos(), n, data, &m_readError)) return -1;
    return n;
}

} // namespace ws
