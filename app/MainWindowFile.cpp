// Main window, files: Save, Save As (any writable format), the unsaved-changes
// question, and the preferences dialog (undo memory budget, the remote files' disk cache).
#include "MainWindow.h"

#include "DiskBlockCache.h"
#include "FormatRegistry.h"
#include "HttpTransfer.h"

#include <QApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QStatusBar>
#include <QTimer>
#include <QUrl>
#include <algorithm>

namespace ws {

namespace {

const QString kUndoBudgetKey = QStringLiteral("undoBudgetMiB");
constexpr int kDefaultUndoMiB = 1024;
const QString kRemoteCacheKey = QStringLiteral("remoteCacheMiB");
constexpr int kDefaultRemoteCacheMiB = 1024;

QString filterFor(const FileFormat* f) {
    QStringList patterns;
    if (!f->defaultSuffix().isEmpty()) patterns << QStringLiteral("*.") + f->defaultSuffix();
    for (const QString& p : f->nameFilters())
        if (!patterns.contains(p) && !p.contains(QLatin1String(".index."))) patterns << p;
    return QStringLiteral("%1 (%2)").arg(f->displayName(), patterns.join(QLatin1Char(' ')));
}

// The writable format whose name patterns match \a path, or null.
const FileFormat* formatByName(const QString& path) {
    const QString name = QFileInfo(path).fileName().toLower();
    for (const FileFormat* f : fileFormats()) {
        if (!f->canWrite()) continue;
        if (!f->defaultSuffix().isEmpty() &&
            name.endsWith(QLatin1Char('.') + f->defaultSuffix().toLower()))
            return f;
        for (const QString& p : f->nameFilters()) {
            const QString suffix =
                p.startsWith(QLatin1String("*")) ? p.mid(1).toLower() : QString();
            if (suffix.startsWith(QLatin1Char('.')) && !suffix.contains(QLatin1Char('*')) &&
                name.endsWith(suffix))
                return f;
        }
    }
    return nullptr;
}

} // namespace

int MainWindow::undoBudgetMiB() {
    return settings().value(kUndoBudgetKey, kDefaultUndoMiB).toInt();
}

int MainWindow::remoteCacheMiB() {
    return std::max(0, settings().value(kRemoteCacheKey, kDefaultRemoteCacheMiB).toInt());
}

bool MainWindow::saveDocument(const QString& path, const FileFormat* format) {
    if (!m_session->document()) return false;
    const FileFormat* own = formatById(m_session->document()->file().formatId);
    if (format == own) format = nullptr;
    QString error;
    // Synchronous for now: the document's save is atomic (temporary file, then rename).
    QApplication::setOverrideCursor(Qt::WaitCursor);
    const bool ok = m_session->document()->save(path, &error, format);
    QApplication::restoreOverrideCursor();
    if (!ok) {
        QMessageBox::warning(
            this, tr("Cannot Save"),
            tr("Could not save %1:\n%2").arg(QDir::toNativeSeparators(path), error));
        return false;
    }
    if (format) {
        const QString text =
            tr("Wrote a copy converted to %1:\n%2\n\nThe open document is still %3; "
               "its unsaved changes (if any) are still unsaved there.")
                .arg(format->displayName(), QDir::toNativeSeparators(path),
                     QFileInfo(m_session->document()->file().path).fileName());
        auto* box = new QMessageBox(QMessageBox::Information, tr("Converted Copy Saved"), text,
                                    QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    }
    watchFile(); // the saved file may be another one, and is a new file either way
    statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(path)), 5000);
    return true;
}

bool MainWindow::save() {
    if (!m_session->document()) return false;
    const FileFormat* own = formatById(m_session->document()->file().formatId);
    if (!own || !own->canWrite()) return saveAs();
    return saveDocument(m_session->document()->file().path);
}

bool MainWindow::saveAs() {
    if (!m_session->document()) return false;
    const FileFormat* own = formatById(m_session->document()->file().formatId);
    QStringList filters;
    QList<const FileFormat*> formats;
    QString selected;
    for (const FileFormat* f : fileFormats()) {
        if (!f->canWrite()) continue;
        filters << filterFor(f);
        formats << f;
        if (f == own) selected = filters.last();
    }
    if (formats.isEmpty()) {
        QMessageBox::warning(this, tr("Cannot Save"), tr("No format can be written."));
        return false;
    }
    if (selected.isEmpty()) selected = filters.first();
    QString start = m_session->document()->file().path;
    if (isUrl(start)) // a local copy, in the folder last used
        start = QDir(settings().value(QStringLiteral("lastDirectory")).toString())
                    .filePath(QUrl(start).fileName());
    QString path = QFileDialog::getSaveFileName(this, tr("Save Weight File As"), start,
                                                filters.join(QLatin1String(";;")), &selected);
    if (path.isEmpty()) return false;
    // The extension picks the format; without a known one, the chosen filter does.
    const FileFormat* format = formatByName(path);
    if (!format) {
        format = formats.value(std::max<qsizetype>(0, filters.indexOf(selected)));
        if (!format->defaultSuffix().isEmpty()) path += QLatin1Char('.') + format->defaultSuffix();
    }
    return saveDocument(path, format);
}

bool MainWindow::maybeSave() {
    if (m_discardOnOpen) {
        m_discardOnOpen = false;
        return true;
    }
    if (!m_session->document() || !m_session->document()->isModified()) return true;
    const auto answer = QMessageBox::question(
        this, tr("Unsaved Changes"),
        tr("%1 has unsaved changes.\nDo you want to save them?")
            .arg(QFileInfo(m_session->document()->file().path).fileName()),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Save) return save();
    return answer == QMessageBox::Discard;
}

void MainWindow::watchFile() {
    if (!m_fileWatcher) {
        m_fileWatcher = new QFileSystemWatcher(this);
        connect(m_fileWatcher, &QFileSystemWatcher::fileChanged, this,
                &MainWindow::onFileChangedOnDisk);
    }
    if (!m_fileWatcher->files().isEmpty()) m_fileWatcher->removePaths(m_fileWatcher->files());
    if (m_session->document() && QFileInfo::exists(m_session->document()->file().path))
        m_fileWatcher->addPath(m_session->document()->file().path);
}

void MainWindow::onFileChangedOnDisk(const QString& path) {
    if (!m_session->document() || path != m_session->document()->file().path) return;
    // A replaced file (our own save renames over it, so do most programs) ends the watch.
    if (!m_fileWatcher->files().contains(path) && QFileInfo::exists(path))
        m_fileWatcher->addPath(path);
    if (m_changedBox || m_session->document()->file().changedOnDisk().isEmpty()) return;
    // Another program may be in the middle of writing: ask once its size and time
    // have stayed the same over two polls (pollChangedFile).
    if (!m_changePoll) {
        m_changePoll = new QTimer(this);
        m_changePoll->setSingleShot(true);
        connect(m_changePoll, &QTimer::timeout, this, &MainWindow::pollChangedFile);
    }
    if (!m_changePoll->isActive()) {
        m_changeSize = -2;
        m_changePoll->start(s_changePollMs);
    }
}

void MainWindow::askAboutChangedFile(const QString& path) {
    if (!m_session->document() || path != m_session->document()->file().path) return;
    const QString changed = m_session->document()->file().changedOnDisk();
    if (changed.isEmpty() || m_changedBox) return; // our own save, or asked already
    const QString name = QFileInfo(path).fileName();
    const bool gone = !QFileInfo::exists(path);
    QString text = gone ? tr("%1 was deleted or moved by another program.").arg(name)
                        : tr("%1 was changed by another program.").arg(name);
    text += QLatin1Char('\n') + tr("WeightScope reads tensors from the file as they are shown "
                                   "and copies unedited ones from it when saving, so it can "
                                   "neither show nor save this file reliably any more.");
    if (m_session->document()->isModified())
        text += QLatin1Char('\n') + tr("Reloading discards your unsaved edits.");
    m_changedBox = new QMessageBox(QMessageBox::Warning, tr("File Changed on Disk"), text,
                                   QMessageBox::NoButton, this);
    m_changedBox->setAttribute(Qt::WA_DeleteOnClose);
    m_changedBox->setInformativeText(changed);
    QPushButton* reload =
        gone ? nullptr : m_changedBox->addButton(tr("Reload"), QMessageBox::AcceptRole);
    m_changedBox->addButton(gone ? QMessageBox::Ok : QMessageBox::Ignore);
    connect(m_changedBox, &QMessageBox::finished, this, [this, reload, path] {
        const bool again = reload && m_changedBox->clickedButton() == reload;
        m_changedBox = nullptr;
        if (!again) return;
        m_discardOnOpen = true;
        openFile(path);
    });
    m_changedBox->open();
}

void MainWindow::showPreferences() {
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Preferences"));
    auto* form = new QFormLayout(&dialog);
    auto* budget = new QSpinBox(&dialog);
    budget->setRange(16, 1024 * 1024);
    budget->setSuffix(tr(" MiB"));
    budget->setValue(undoBudgetMiB());
    budget->setToolTip(tr("Memory the undo history may use for copies of changed values; "
                          "the oldest steps are forgotten beyond it."));
    form->addRow(tr("Undo memory budget:"), budget);

    // Remote files: the disk cache's size, what it holds now, and a way to empty it.
    const QString cacheDir = HttpOptions::diskCacheFolder();
    auto* cache = new QSpinBox(&dialog);
    cache->setObjectName(QStringLiteral("remoteCacheMiB"));
    cache->setRange(0, 1024 * 1024);
    cache->setSuffix(tr(" MB"));
    cache->setSpecialValueText(tr("Off"));
    cache->setValue(remoteCacheMiB());
    cache->setToolTip(tr("Blocks of files opened by URL are kept in %1 so that opening them "
                         "again reads from disk; beyond this size the files used longest ago "
                         "are deleted.")
                          .arg(QDir::toNativeSeparators(cacheDir)));
    if (qEnvironmentVariableIsSet("WS_HTTP_CACHE_MB")) {
        cache->setEnabled(false);
        cache->setToolTip(tr("Set by WS_HTTP_CACHE_MB in the environment."));
    }
    auto* used = new QLabel(&dialog);
    used->setObjectName(QStringLiteral("remoteCacheUsed"));
    const auto showUsed = [used, cacheDir] {
        used->setText(tr("%1 in use").arg(byteCountText(DiskBlockCache::bytesUnder(cacheDir))));
    };
    showUsed();
    auto* clear = new QPushButton(tr("Clear"), &dialog);
    clear->setObjectName(QStringLiteral("clearRemoteCache"));
    clear->setAutoDefault(false);
    connect(clear, &QPushButton::clicked, &dialog, [this, cacheDir, showUsed] {
        if (!DiskBlockCache::clear(cacheDir))
            QMessageBox::warning(this, tr("Preferences"),
                                 tr("Some of %1 could not be deleted.").arg(cacheDir));
        showUsed();
    });
    auto* cacheRow = new QHBoxLayout;
    cacheRow->addWidget(cache);
    cacheRow->addWidget(used, 1);
    cacheRow->addWidget(clear);
    form->addRow(tr("Disk cache for remote files:"), cacheRow);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    if (dialog.exec() != QDialog::Accepted) return;
    settings().setValue(kUndoBudgetKey, budget->value());
    if (cache->isEnabled()) {
        settings().setValue(kRemoteCacheKey, cache->value());
        HttpOptions::setDiskCacheLimit(qint64(cache->value()) << 20);
    }
    if (m_session->document()) m_session->document()->setUndoBudget(qint64(budget->value()) << 20);
}

} // namespace ws
