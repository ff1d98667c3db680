"""Needs attention: what sync could not settle by itself, for a person to deal with.

Three lists, each a Qt model over the store (``sync.client.local.sync_status``):

- **Conflicts**: a detail changed on this laptop and elsewhere; both values are kept until a
  person chooses (sync rule 6). The choice goes through ``resolve_conflict``, which audits it
  and, when this laptop's value is kept, records it as a new edit that syncs.
- **Rejected changes**: outbox entries the server refused for good, with its reason. They
  are kept, never sent again, and never block the queue (rule 11).
- **For review**: unsent edits of cases reallocated away from this laptop (rule 12), to be
  passed on to the new caseworker and then dismissed (``dismiss_review``).
- **Could not be stored**: records from the server this laptop could not store, kept aside
  with the reason (``sync.client.quarantine``); an administrator tries again (after an
  upgrade) or dismisses them. They never stop a sync.

``install(window)`` adds Sync ▸ Needs attention… (Ctrl+Shift+E) to a ``MainWindow``;
``attention_count(store)`` is the number the status bar can show.
"""

from __future__ import annotations

import html
import json
from typing import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.dates import to_uk_datetime
from desktop.store import Store, StoreError
from desktop.ui.models import ColumnsModel
from sync.client import local, quarantine
from sync.client.local import dismiss_review, resolve_conflict, sync_status
from sync.client.wording import (
    ENTITY_LABELS,
    KINDS,
    RecordNamer,
    change_summary,
    conflict_values,
    field_label,
    kind_label,
    one_line,
    quarantined_name,
)
from desktop.ui.style import text_size

TAB_CONFLICTS, TAB_REJECTED, TAB_REVIEW, TAB_QUARANTINE = 0, 1, 2, 3


def attention_count(store: Store) -> int:
    """Open conflicts + rejected changes + review items: what the status bar shows."""
    return sync_status(store).attention_count


# -- models ------------------------------------------------------------------------------------------
class _CachedRows(ColumnsModel):
    """Rows held as dicts with their cells worked out once, on reload."""

    IdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent=None):
        super().__init__(parent)
        self.items: list[dict] = []
        self._cells: list[tuple[str, ...]] = []
        self._full: list[tuple[str, ...]] = []

    def reload(self, items: list[dict], namer: RecordNamer) -> None:
        self.beginResetModel()
        self.items = items
        self._full = [self._render(item, namer) for item in items]
        self._cells = [tuple(one_line(c) for c in full) for full in self._full]
        self.endResetModel()

    def _render(self, item: dict, namer: RecordNamer) -> tuple[str, ...]:
        raise NotImplementedError

    def _id(self, item: dict):
        raise NotImplementedError

    def row_count(self) -> int:
        return len(self._cells)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[index.row()][index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:  # the whole text where a cell may be cut
            full = self._full[index.row()][index.column()]
            return full if len(full) > 24 else None
        if role == self.IdRole:
            return self._id(self.items[index.row()])
        return None


class ConflictsModel(_CachedRows):
    """Open conflicts, oldest first: both values of each field."""

    COLUMNS = ("Record", "Type", "Detail", "This laptop", "Server", "What happened", "When")

    def _id(self, item: dict) -> str:
        return item["id"]

    def _render(self, c: dict, namer: RecordNamer) -> tuple[str, ...]:
        entity, name, kind = c["entity"], c["field"], c["kind"]
        local, remote = conflict_values(c, namer)
        return (
            namer.describe(entity, c["record_id"]),
            ENTITY_LABELS.get(entity, entity),
            field_label(name),
            local,
            remote,
            kind_label(kind),
            to_uk_datetime(c["created_at"]),
        )

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and index.isValid()
            and index.column() == 5
            and self.items[index.row()]["kind"] != "same_field"
        ):
            return QBrush(QColor("#92400e"))  # amber: the record was deleted or finalised
        return super().data(index, role)


# What the two buttons do, said plainly where a side means bringing a deleted record back:
# kind -> ((this laptop's label, tip), (the server's label, tip)). Mnemonics stay Alt+L, Alt+S.
CHOICE_WORDS = {
    "edit_vs_delete": (
        (
            "Restore with this &laptop's value",
            "Bring the record back with the value entered on this laptop (Alt+L); it is sent at the next sync",
        ),
        ("Leave it deleted (&server's)", "Accept the deletion (Alt+S)"),
    ),
    "delete_vs_edit": (
        ("Leave it deleted (this &laptop's)", "Let this laptop's deletion stand (Alt+L)"),
        (
            "Restore with the &server's value",
            "Bring the record back with the other change (Alt+S); it is sent at the next sync",
        ),
    ),
}
PLAIN_CHOICES = (
    ("Keep this &laptop's", "Keep the value entered on this laptop (Alt+L); it is sent at the next sync"),
    ("Keep the &server's", "Keep the value the server has (Alt+S)"),
)


def can_keep_local(c: dict) -> bool:
    """Whether this laptop's side can be kept (not against finalised evidence)."""
    return local.can_keep_local(c["kind"], c["field"])


class RejectedModel(_CachedRows):
    """Outbox entries the server refused for good, in the order they were made."""

    COLUMNS = ("Record", "Type", "Change", "Server's reason", "Made", "Tries")

    def _id(self, item: dict) -> str:
        return item["mutation_id"]

    def _render(self, r: dict, namer: RecordNamer) -> tuple[str, ...]:
        return (
            namer.describe(r["entity"], r["record_id"]),
            ENTITY_LABELS.get(r["entity"], r["entity"]),
            change_summary(r["op"], r["fields"]),
            r["last_error"] or "No reason given",
            to_uk_datetime(r["created_at"]),
            str(r["attempts"]),
        )


class ReviewModel(_CachedRows):
    """Unsent edits of records that left this laptop with a reallocated case."""

    COLUMNS = ("Record", "Type", "Unsent changes", "Why it left", "Left this laptop")

    def _id(self, item: dict) -> int:
        return item["seq"]

    def _render(self, r: dict, namer: RecordNamer) -> tuple[str, ...]:
        snapshot = json.loads(r["record"]) if r["record"] else None
        changes = json.loads(r["changes"])
        return (
            namer.describe(r["entity"], r["record_id"], snapshot),
            ENTITY_LABELS.get(r["entity"], r["entity"]),
            "; ".join(change_summary(c["op"], c["fields"]) for c in changes),
            r["reason"][:1].upper() + r["reason"][1:],
            to_uk_datetime(r["created_at"]),
        )


class QuarantineModel(_CachedRows):
    """Records from the server this laptop could not store, oldest first."""

    COLUMNS = ("Record", "Type", "Why it could not be stored", "Received", "Tries")

    def _id(self, item: dict) -> int:
        return item["seq"]

    def _render(self, q: dict, namer: RecordNamer) -> tuple[str, ...]:
        fields = q["state"].get("fields") if isinstance(q["state"], dict) else None
        row = fields if isinstance(fields, dict) else None
        return (
            quarantined_name(q, namer, row),
            ENTITY_LABELS.get(q["entity"], q["entity"]),
            q["reason"],
            to_uk_datetime(q["created_at"]),
            str(q["attempts"]),
        )


# -- the screen ---------------------------------------------------------------------------------------
def _ask(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes


class _Tab(QWidget):
    """One list: an explanation, the table (or its empty state), a detail pane and buttons."""

    def __init__(self, name: str, intro: str, empty: str, model: _CachedRows, parent=None):
        super().__init__(parent)
        self.model = model
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.intro.setObjectName(f"{name}Intro")
        self.table = QTableView()
        self.table.setObjectName(f"{name}Table")
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.empty = QLabel(empty)
        self.empty.setObjectName(f"{name}Empty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: #4b5563; padding: 32px;")
        text_size(self.empty, 1.1)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.table)
        self.pages.addWidget(self.empty)
        self.detail = QTextBrowser()
        self.detail.setObjectName(f"{name}Detail")
        self.detail.setMaximumHeight(130)
        self.detail.setOpenLinks(False)
        self.button_row = QWidget()
        self.buttons = QHBoxLayout(self.button_row)
        self.buttons.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.button_row)

    def add_button(self, text: str, name: str, slot: Callable[[], None], tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAutoDefault(False)  # Enter must never make a choice by accident
        button.setToolTip(tip)
        button.clicked.connect(lambda _=False: slot())
        self.buttons.addWidget(button)
        return button

    def current(self) -> dict | None:
        index = self.table.currentIndex()
        return self.model.items[index.row()] if index.isValid() else None

    def show_rows(self, keep_row: int) -> None:
        """Show the table (selecting the row now at ``keep_row``) or the empty state."""
        rows = self.model.rowCount()
        self.pages.setCurrentIndex(0 if rows else 1)
        for part in (self.intro, self.detail, self.button_row):  # the empty state says it all
            part.setVisible(bool(rows))
        if rows:
            self.table.selectRow(min(max(keep_row, 0), rows - 1))


class AttentionDialog(QDialog):
    """The three lists. ``changed`` is emitted after anything here changed the store."""

    changed = Signal()

    def __init__(self, store: Store, parent=None, pack_titles: dict[str, str] | None = None):
        super().__init__(parent)
        self.store = store
        self.pack_titles = pack_titles or {}
        self.ask = _ask  # (parent, title, text) -> bool; tests answer without a modal box
        self.setWindowTitle("Needs attention")
        self.setObjectName("needsAttentionDialog")
        self.resize(1180, 640)

        self.summary = QLabel()
        self.summary.setObjectName("attentionSummary")
        text_size(self.summary, 1.15, bold=True)
        self.message = QLabel()
        self.message.setObjectName("attentionMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #991b1b;")
        self.message.hide()

        self.conflicts = _Tab(
            "conflicts",
            "A detail was changed on this laptop and somewhere else before a sync. Nothing was "
            "overwritten: both values are kept here until you choose. Your choice is recorded in "
            "the activity log; keeping this laptop's value sends it at the next sync.",
            "No conflicts.\n\nIf a detail is ever changed on this laptop and elsewhere before a "
            "sync, both values wait here for you to choose.",
            ConflictsModel(self),
        )
        (local_text, local_tip), (remote_text, remote_tip) = PLAIN_CHOICES
        self.keep_local = self.conflicts.add_button(local_text, "keepLocal", lambda: self._resolve("local"), local_tip)
        self.keep_remote = self.conflicts.add_button(
            remote_text, "keepRemote", lambda: self._resolve("remote"), remote_tip
        )
        self.conflicts.buttons.addStretch()

        self.rejected = _Tab(
            "rejected",
            "The server refused these changes for good, for the reason shown. They are kept on "
            "this laptop and will not be sent again; your other changes carry on syncing. Copy "
            "the details for your IT lead or team lead.",
            "No refused changes.\n\nIf the server ever refuses a change for good, it is kept here "
            "with the reason, and your other changes carry on syncing.",
            RejectedModel(self),
        )
        self.copy_rejected = self.rejected.add_button(
            "&Copy details",
            "copyRejected",
            self._copy_rejected,
            "Copy what support needs to look into this (Alt+C); no pupil details are copied",
        )
        self.rejected.buttons.addStretch()

        self.review = _Tab(
            "review",
            "These cases were reallocated away from this laptop before these changes were sent, "
            "so they were not sent. Pass them on to the case's new caseworker (Copy changes), "
            "then dismiss them.",
            "Nothing to review.\n\nIf a case is reallocated away from this laptop before your "
            "changes to it were sent, the changes wait here so you can pass them on.",
            ReviewModel(self),
        )
        self.copy_review = self.review.add_button(
            "C&opy changes",
            "copyReview",
            self._copy_review,
            "Copy the unsent changes, with their values, to pass on (Alt+O)",
        )
        self.dismiss = self.review.add_button(
            "&Dismiss…",
            "dismissReview",
            self._dismiss,
            "Remove from this list once passed on (Alt+D); the content stays on file",
        )
        self.review.buttons.addStretch()

        self.quarantine = _Tab(
            "quarantine",
            "These records came from the server, but this laptop could not store them, for the "
            "reason shown. Everything else synced. After Fieldnote or a pack is updated, try "
            "them again; dismiss one this laptop can go without. Tell your IT lead: the server "
            "should not have accepted them.",
            "Nothing set aside.\n\nIf a record from the server can ever not be stored on this "
            "laptop, it waits here with the reason, and the rest of your sync carries on.",
            QuarantineModel(self),
        )
        self.retry_quarantined = self.quarantine.add_button(
            "&Try again",
            "retryQuarantined",
            self._retry_quarantined,
            "Try storing this record again, e.g. after an update (Alt+T)",
        )
        self.dismiss_quarantined = self.quarantine.add_button(
            "Dis&miss…",
            "dismissQuarantined",
            self._dismiss_quarantined,
            "Go without this record on this laptop (Alt+M); it stays on file, and a newer "
            "version from the server is still stored when it comes",
        )
        self.quarantine.buttons.addStretch()

        self.tabs = QTabWidget()
        self.tabs.setObjectName("attentionTabs")
        for tab in (self.conflicts, self.rejected, self.review, self.quarantine):
            self.tabs.addTab(tab, "")
            tab.table.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.reload()
        for index, tab in enumerate((self.conflicts, self.rejected, self.review, self.quarantine)):
            if tab.model.rowCount():
                self.tabs.setCurrentIndex(index)  # open on the first list with something in it
                break
        self._size_columns()

    # -- loading --------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read all three lists from the store again, keeping each list's place."""
        status = sync_status(self.store)
        snapshots = {}
        for item in status.review:
            if item["record"]:
                snapshots[(item["entity"], item["record_id"])] = json.loads(item["record"])
        namer = self.namer = RecordNamer(self.store, snapshots, self.pack_titles)
        for tab, items in (
            (self.conflicts, status.conflicts),
            (self.rejected, status.needs_attention),
            (self.review, status.review),
            (self.quarantine, status.quarantined),
        ):
            row = tab.table.currentIndex().row()
            tab.model.reload(items, namer)
            tab.show_rows(row)
        names = ("Conflicts", "Rejected changes", "For review", "Could not be stored")
        for index, (name, items) in enumerate(
            zip(names, (status.conflicts, status.needs_attention, status.review, status.quarantined))
        ):
            self.tabs.setTabText(index, f"{name} ({len(items)})" if items else name)
        total = status.attention_count
        self.summary.setText(
            f"{total} item{'s' if total != 1 else ''} need{'' if total != 1 else 's'} your attention"
            if total
            else "Nothing needs your attention."
        )
        self._selection_changed()

    def _size_columns(self) -> None:
        widths = {
            self.conflicts: (230, 90, 110, 180, 180, 150),
            self.rejected: (250, 100, 200, 300, 120),
            self.review: (250, 110, 300, 150),
            self.quarantine: (250, 110, 420, 130),
        }
        for tab, cols in widths.items():
            for col, width in enumerate(cols):
                tab.table.setColumnWidth(col, width)

    # -- detail and buttons -----------------------------------------------------------------------
    def _selection_changed(self) -> None:
        self.message.hide()
        conflict = self.conflicts.current()
        self.keep_local.setEnabled(bool(conflict) and can_keep_local(conflict))
        self.keep_remote.setEnabled(bool(conflict))
        words = CHOICE_WORDS.get(conflict["kind"], PLAIN_CHOICES) if conflict else PLAIN_CHOICES
        for button, (text, tip) in zip((self.keep_local, self.keep_remote), words):
            button.setText(text)
            button.setToolTip(tip)
        if conflict and not can_keep_local(conflict):
            self.keep_local.setToolTip(f"Not possible for this conflict: {kind_label(conflict['kind']).lower()}.")
        self.conflicts.detail.setHtml(self._conflict_detail(conflict) if conflict else "")
        rejected = self.rejected.current()
        self.copy_rejected.setEnabled(bool(rejected))
        self.rejected.detail.setHtml(self._rejected_detail(rejected) if rejected else "")
        review = self.review.current()
        self.copy_review.setEnabled(bool(review))
        self.dismiss.setEnabled(bool(review))
        self.review.detail.setHtml(self._review_detail(review) if review else "")
        held = self.quarantine.current()
        self.retry_quarantined.setEnabled(bool(held))
        self.dismiss_quarantined.setEnabled(bool(held))
        self.quarantine.detail.setHtml(self._quarantine_detail(held) if held else "")

    def _quarantine_detail(self, q: dict) -> str:
        fields = q["state"].get("fields") if isinstance(q["state"], dict) else None
        fields = fields if isinstance(fields, dict) else {}
        name = html.escape(quarantined_name(q, self.namer, fields))
        lines = []
        for key, value in sorted(fields.items()):
            try:
                shown = self.namer.value(q["entity"], key, value)
            except (TypeError, ValueError, AttributeError):
                shown = repr(value)
            lines.append(f"{field_label(key)}: {one_line(shown, 300)}")
        return (
            f"<b>{name}</b> ({ENTITY_LABELS.get(q['entity'], q['entity'])}, server version "
            f"{q['version']})<p><b>Why:</b> {html.escape(q['reason'])}</p><p>"
            + "<br>".join(_html_text(line) for line in lines)
            + "</p>"
        )

    def _heading(self, entity: str, record_id: str, snapshot: dict | None = None) -> str:
        name = html.escape(self.namer.describe(entity, record_id, snapshot))
        return f"<b>{name}</b> ({ENTITY_LABELS.get(entity, entity)})"

    def _conflict_detail(self, c: dict) -> str:
        local, remote = conflict_values(c, self.namer)
        explain = KINDS.get(c["kind"], ("", ""))[1]
        return (
            f"{self._heading(c['entity'], c['record_id'])} — {html.escape(field_label(c['field']))}"
            f"<p><b>This laptop:</b> {_html_text(local)}<br><b>Server:</b> {_html_text(remote)}</p>"
            f"<p style='color:#4b5563'>{html.escape(explain)}</p>"
        )

    def _change_lines(self, entity: str, change: dict) -> tuple[str, list[str]]:
        """An outbox entry as a title ("Edited on 23/11/2026 14:05") and one line a field."""
        when = to_uk_datetime(change["created_at"])
        if change["op"] == "delete":
            return f"Deleted on {when}", []
        fields = json.loads(change["fields"])
        title = ("Created" if change["op"] == "create" else "Edited") + f" on {when}"
        return title, [f"{field_label(n)}: {self.namer.value(entity, n, v)}" for n, v in sorted(fields.items())]

    def _changes_html(self, entity: str, changes: list[dict]) -> str:
        parts = []
        for change in changes:
            title, lines = self._change_lines(entity, change)
            parts.append(f"<p><b>{title}</b>" + "".join(f"<br>{_html_text(line)}" for line in lines) + "</p>")
        return "".join(parts)

    def _rejected_detail(self, r: dict) -> str:
        return (
            f"{self._heading(r['entity'], r['record_id'])}"
            f"<p><b>Server's reason:</b> {html.escape(r['last_error'] or 'No reason given')}</p>"
            + self._changes_html(r["entity"], [r])
        )

    def _review_detail(self, r: dict) -> str:
        snapshot = json.loads(r["record"]) if r["record"] else None
        return (
            f"{self._heading(r['entity'], r['record_id'], snapshot)} — "
            f"{html.escape(r['reason'])}" + self._changes_html(r["entity"], json.loads(r["changes"]))
        )

    # -- actions -----------------------------------------------------------------------------------
    def _fail(self, error: Exception) -> None:
        self.message.setText(str(error))
        self.message.show()

    def _resolve(self, keep: str) -> None:
        conflict = self.conflicts.current()
        if conflict is None:
            return
        try:
            resolve_conflict(self.store, conflict["id"], keep)
        except StoreError as exc:
            self.reload()
            return self._fail(exc)
        self.reload()
        self.changed.emit()
        self.conflicts.table.setFocus()  # ready for the next one from the keyboard

    def _copy_rejected(self) -> None:
        # What support needs to trace the entry: ids, the change's field names and the server's
        # reason. No names or values: this text tends to travel by email.
        r = self.rejected.current()
        if r is None:
            return
        fields = json.loads(r["fields"])
        text = "\n".join(
            (
                "Fieldnote: a change the server refused",
                f"Record: {ENTITY_LABELS.get(r['entity'], r['entity'])} {r['record_id']}",
                f"Change: {r['op']}" + (f" ({', '.join(sorted(fields))})" if fields else ""),
                f"Made: {to_uk_datetime(r['created_at'])}",
                f"Tries: {r['attempts']}",
                f"Server's reason: {r['last_error'] or 'none given'}",
                f"Change id: {r['mutation_id']}",
            )
        )
        QGuiApplication.clipboard().setText(text)
        self.message.hide()

    def _copy_review(self) -> None:
        # Passing the changes on is the point, so values are included (the new caseworker
        # needs them); the practitioner chooses where to paste them.
        r = self.review.current()
        if r is None:
            return
        snapshot = json.loads(r["record"]) if r["record"] else None
        lines = [
            f"Unsent changes to {ENTITY_LABELS.get(r['entity'], r['entity']).lower()}: "
            f"{self.namer.describe(r['entity'], r['record_id'], snapshot)}",
            f"Why they were not sent: {r['reason']}",
        ]
        for change in json.loads(r["changes"]):
            title, fields = self._change_lines(r["entity"], change)
            lines += ["", title, *(f"  {line}" for line in fields)]
        QGuiApplication.clipboard().setText("\n".join(lines))

    def _dismiss(self) -> None:
        r = self.review.current()
        if r is None:
            return
        if not self.ask(
            self,
            "Dismiss",
            "Have you passed these changes on to the case's new "
            "caseworker? Dismissing removes them from this list; they stay on file "
            "on this laptop.",
        ):
            return
        try:
            dismiss_review(self.store, r["seq"])
        except StoreError as exc:
            self.reload()
            return self._fail(exc)
        self.reload()
        self.changed.emit()

    def _retry_quarantined(self) -> None:
        q = self.quarantine.current()
        if q is None:
            return
        try:
            still = quarantine.retry(self.store, q["seq"])
        except StoreError as exc:
            self.reload()
            return self._fail(exc)
        self.reload()
        if still is None:
            self.changed.emit()
        else:
            self._fail(f"It still cannot be stored: {still}")

    def _dismiss_quarantined(self) -> None:
        q = self.quarantine.current()
        if q is None:
            return
        if not self.ask(
            self,
            "Dismiss",
            "Go without this record on this laptop? It stays on "
            "file, and a newer version from the server is still stored when it "
            "comes.",
        ):
            return
        try:
            quarantine.dismiss(self.store, q["seq"])
        except StoreError as exc:
            self.reload()
            return self._fail(exc)
        self.reload()
        self.changed.emit()


def _html_text(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


# -- wiring into the main window ----------------------------------------------------------------------
class NeedsAttention(QObject):
    """The feature in a ``MainWindow``: the Sync menu command and the one open dialog."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.dialog: AttentionDialog | None = None
        self.action = window.add_action("sync", "Needs &attention…", self.open, "Ctrl+Shift+E", "needsAttention")
        # The lists name pupils: like every window showing them, they close when the app locks.
        window.pages.currentChanged.connect(self._page_changed)

    def _pack_titles(self) -> dict[str, str]:
        feature = getattr(self.window, "assessments", None)
        records = getattr(feature, "records", None)
        if records is None:
            return {}
        return {pack_id: pack.title for pack_id, pack in records.registry.packs.items()}

    def open(self) -> AttentionDialog:
        """Show the lists (fresh from the store); an open one comes to the front."""
        if self.dialog is not None:
            self.dialog.reload()
        else:
            self.dialog = AttentionDialog(self.window.store, self.window, self._pack_titles())
            self.dialog.changed.connect(self.window.refresh)
            self.dialog.finished.connect(self._closed)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def _closed(self, _result: int = 0) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None

    def _page_changed(self, _index: int) -> None:
        if self.window.locked and self.dialog is not None:
            self.dialog.reject()


def install(window) -> None:
    """Add Sync ▸ Needs attention… (Ctrl+Shift+E) to ``window`` (a ``MainWindow``); the feature
    is kept as ``window.needs_attention``. Installing twice changes nothing."""
    if getattr(window, "needs_attention", None) is None:
        window.needs_attention = NeedsAttention(window)
