// Main window, remote files: File > Open URL… and the status bar's transfer label
// (bytes fetched over HTTP and the rate), shown while a file opened by URL is open
// or opening, updated twice a second from the process's HTTP counters, with a Stop
// button while requests run.
#include "HttpTransfer.h"
#include "MainWindow.h"

#include <QAbstractButton>
#include <QDateTime>
#include <QInputDialog>
#include <QLabel>
#include <QMessageBox>
#include <QTimer>

namespace ws {

void MainWindow::openUrlDialog() {
    bool ok = false;
    const QString url =
        QInputDialog::getText(this, tr("Open URL"),
                              tr("URL of a .safetensors file, a sharded model's "
                                 ".safetensors.index.json, a .gguf, a PyTorch .pt/.pth, a .npy "
                                 "or an .npz (only the bytes shown are fetched; a bearer token "
                                 "is sent from WS_HTTP_TOKEN):"),
                              QLineEdit::Normal, QString(), &ok)
            .trimmed();
    if (!ok || url.isEmpty()) return;
    if (!isUrl(url)) {
        QMessageBox::warning(this, tr("Open URL"),
                             tr("%1 is not an http:// or https:// URL.").arg(url));
        return;
    }
    openFile(url);
}

void MainWindow::updateTransferLabel() {
    const bool opening = m_progress->isVisible();
    const bool remote = m_session->document() && isUrl(m_session->document()->file().path);
    m_stopTransfers->setVisible(httpTransfersInFlight() > 0);
    if (!opening && !remote) {
        m_transferTimer->stop();
        m_transferLabel->setVisible(false);
        return;
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 bytes = httpTotals().bytesFetched.load();
    QString text = tr("Fetched %1").arg(byteCountText(bytes));
    if (!m_transferTimer->isActive()) {
        m_transferTimer->start();
    } else if (now > m_transferTickMs && bytes > m_transferBytes) {
        const qint64 rate = (bytes - m_transferBytes) * 1000 / (now - m_transferTickMs);
        text += tr(" · %1/s").arg(byteCountText(rate));
    }
    m_transferBytes = bytes;
    m_transferTickMs = now;
    m_transferLabel->setText(text);
    m_transferLabel->setToolTip(
        tr("Bytes fetched over HTTP by %1 requests").arg(httpTotals().requests.load()));
    m_transferLabel->setVisible(true);
}

} // namespace ws
