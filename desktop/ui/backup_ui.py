"""File ▸ Back up… and the unsent-changes reminder in the status bar (issue 12, item 5)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox

from desktop.store import StoreError
from desktop.store.backup import SUFFIX, make_backup, unsent_reminder

REMINDER_CHECK_MS = 60 * 60 * 1000  # the reminder is looked at again every hour


class BackupFeature(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.action = window.add_action("file", "Back &up…", self.back_up, "Ctrl+Shift+B", "backUp", new_group=True)
        self.reminder = QLabel()
        self.reminder.setObjectName("unsentReminder")
        self.reminder.setVisible(False)
        window.statusBar().addPermanentWidget(self.reminder)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check_reminder)
        self.timer.start(REMINDER_CHECK_MS)
        self.check_reminder()

    def check_reminder(self, today: date | None = None) -> str | None:
        """Show the reminder when changes have waited unsent too long; said once a day in the
        status bar's message, and kept as a short note beside it while it holds."""
        days = getattr(self.window.settings, "unsent_reminder_days", 7)
        try:
            text = unsent_reminder(self.window.store, days)
        except Exception:  # a store closed under the lock: try again at the next check
            return None
        self.reminder.setVisible(bool(text))
        if not text:
            return None
        self.reminder.setText("Unsent changes waiting")
        self.reminder.setToolTip(text)
        today_text = (today or date.today()).isoformat()
        if self.window.store.meta("unsent_reminder_shown") != today_text:
            self.window.store.set_meta("unsent_reminder_shown", today_text)
            self.window.statusBar().showMessage(text, 30000)
        return text

    def back_up(self, path: str | None = None) -> Path | None:
        if path is None:
            suggested = str(Path.home() / f"Fieldnote backup {date.today():%d-%m-%Y}{SUFFIX}")
            path, _ = QFileDialog.getSaveFileName(
                self.window, "Back up Fieldnote's data", suggested, f"Fieldnote backups (*{SUFFIX})"
            )
            if not path:
                return None
        try:
            manifest = make_backup(self.window.store, self.window.keys.info_path, path)
        except (StoreError, OSError) as exc:
            QMessageBox.warning(self.window, "Backup not made", str(exc))
            return None
        self.window.statusBar().showMessage(
            f"Backup written to {path} ({manifest['pending_changes']} change(s) not yet sent).", 8000
        )
        return Path(path)


def install(window) -> BackupFeature:
    window.backup = BackupFeature(window)
    return window.backup
