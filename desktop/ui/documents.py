"""Documents in the main window: files attached to a case (a report, a school's behaviour
policy, a letter), listed on the case's Documents tab.

``install(window)`` wires it into a ``MainWindow``: the tab beside Timeline, History and
Assessments (kept in step with the case shown and reloaded after every sync) and, in the
Case menu and on the tab,

- **Attach file…** (Ctrl+Shift+D, or drop files onto the tab),
- **Open** (Enter or double-click): a copy goes to ``opened-documents/`` in the data folder
  and opens in the laptop's own app; that folder is emptied when Fieldnote starts and quits,
- **Save a copy…** (Ctrl+Shift+C),
- **Delete…** (Delete key in the list): a tombstone that syncs; Ctrl+Z brings it back.

The bytes are read, written and checked off the GUI thread (on the window's store worker
connection, as every other long write does); each attach or delete goes on the window's undo
stack as an ordinary recorded edit.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QStandardPaths, Qt, QUrl
from PySide6.QtGui import QAction, QBrush, QColor, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QFrame,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.dates import to_uk_datetime, to_uk_local_date
from desktop.store import Store, StoreError
from desktop.store import attachments
from desktop.store.attachments import (
    AttachmentDamaged,
    AttachmentNotHere,
    AttachmentTooLarge,
    add_attachment,
    delete_attachment,
    export_attachment,
)
from desktop.store.documents import (
    NOT_DOWNLOADED,
    REFUSED,
    STATUS_TIPS,
    WAITING,
    case_documents,
    document_name,
    format_size,
)
from desktop.ui.models import ColumnsModel
from desktop.store.undo import undo_deletion
from desktop.ui.undo import CaseCommand, Creation
from desktop.ui.style import text_size

ATTACH_SHORTCUT = "Ctrl+Shift+D"  # Ctrl+Shift+A is Allocate…
SAVE_SHORTCUT = "Ctrl+Shift+C"
EMPTY_TEXT = (
    f"No documents yet.\nAttach a report, letter or plan with Attach file… ({ATTACH_SHORTCUT}), or drop a file here."
)
NOTE_TEXT = (
    "Files are kept encrypted in Fieldnote and sync with the case. Open shows a copy; edits to it are not saved back."
)
OPENED_FOLDER = "opened-documents"  # in the data folder; everything in it is disposable
OPENED_KEPT_SECONDS = 24 * 60 * 60

STATUS_COLOURS = {WAITING: "#92400e", NOT_DOWNLOADED: "#6b7280", REFUSED: "#b91c1c"}


# -- words and numbers ----------------------------------------------------------------------------
def too_large_text(name: str, size: int) -> str:
    limit = attachments.MAX_ATTACHMENT_BYTES  # read now: the limit is the core's
    return (
        f"“{name}” is {format_size(size)}. A file attached to a case can be at most "
        f"{format_size(limit)}, so it was not attached.\n\nA large scan can often be saved "
        "again at a lower resolution, or split into parts."
    )


# -- the list ----------------------------------------------------------------------------------------
class DocumentsModel(ColumnsModel):
    """A case's documents, newest first, each with where its file is."""

    COLUMNS = ("Title", "File name", "Size", "Added", "Status")
    IdRole = Qt.ItemDataRole.UserRole + 1
    TITLE, FILENAME, SIZE, ADDED, STATUS = range(5)

    def __init__(self, store: Store, parent=None):
        super().__init__(parent)
        self.store = store
        self.documents: list[dict] = []
        self._cells: list[tuple[str, ...]] = []

    def reload(self, referral_id: str | None) -> None:
        self.beginResetModel()
        self.documents = case_documents(self.store, referral_id) if referral_id else []
        self._cells = [
            (
                document_name(d),
                d["filename"] or "—",
                format_size(d["size"] or 0),
                to_uk_local_date(d["modified_at"]),
                d["status"],
            )
            for d in self.documents
        ]
        self.endResetModel()

    def row_count(self) -> int:
        return len(self._cells)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if (
            role == Qt.ItemDataRole.TextAlignmentRole
            and orientation == Qt.Orientation.Horizontal
            and section == self.SIZE
        ):  # over its right-aligned numbers
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return super().headerData(section, orientation, role)

    def row_of(self, attachment_id: str | None) -> int | None:
        return next((i for i, d in enumerate(self.documents) if d["id"] == attachment_id), None)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        doc, col = self.documents[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[index.row()][col]
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.STATUS:
                return STATUS_TIPS[doc["status"]]
            if col == self.ADDED:
                return f"Added or last changed {to_uk_datetime(doc['modified_at'])}"
            if col == self.SIZE:
                return f"{doc['size'] or 0:,} bytes"
            if col == self.FILENAME and doc.get("media_type"):
                return f"{self._cells[index.row()][col]} ({doc['media_type']})"
            return self._cells[index.row()][col]  # the whole text where the cell elides it
        if role == Qt.ItemDataRole.ForegroundRole and col == self.STATUS:
            colour = STATUS_COLOURS.get(doc["status"])
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.TextAlignmentRole and col == self.SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == self.IdRole:
            return doc["id"]
        return None


class DocumentsTab(QWidget):
    """The buttons, the list (or its empty state) and a note; files dropped on it are attached.

    Reloads only while visible, like the Assessments tab: selecting cases costs nothing until
    the tab is looked at."""

    def __init__(self, store: Store, parent=None):
        super().__init__(parent)
        self.setObjectName("documentsTab")
        self.setAcceptDrops(True)
        self.referral_id: str | None = None
        self._dirty = True
        self.on_attach: Callable[[], None] = lambda: None
        self.on_open: Callable[[dict], None] = lambda doc: None
        self.on_save: Callable[[dict], None] = lambda doc: None
        self.on_delete: Callable[[dict], None] = lambda doc: None
        self.on_drop: Callable[[list[Path]], None] = lambda paths: None

        self.model = DocumentsModel(store, self)
        self.table = QTableView()
        self.table.setObjectName("documents")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(DocumentsModel.TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(DocumentsModel.FILENAME, QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(40)
        self.table.setColumnWidth(DocumentsModel.FILENAME, 190)  # long names elide, full in tooltip
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.activated.connect(lambda index: self._emit(self.on_open))  # Enter, double-click
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())

        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("documentsEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: #4b5563; padding: 12px;")
        text_size(self.empty, 1.1)
        # where the case pane is short, the explanation scrolls rather than being cut off
        empty_area = self.empty_page = QScrollArea()
        empty_area.setObjectName("documentsEmptyArea")
        empty_area.setWidgetResizable(True)
        empty_area.setFrameShape(QFrame.Shape.NoFrame)
        empty_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        empty_area.setWidget(self.empty)
        empty_area.viewport().setAutoFillBackground(False)
        self.empty.setAutoFillBackground(False)  # on the tab's own background
        self.stack = QStackedWidget()
        self.stack.addWidget(empty_area)
        self.stack.addWidget(self.table)

        self.attach_button = QPushButton("Attach file…")
        self.attach_button.setObjectName("attachFileButton")
        self.attach_button.setToolTip(f"{ATTACH_SHORTCUT} · or drop files onto this tab")
        self.attach_button.clicked.connect(lambda: self.on_attach())
        self.open_button = QPushButton("Open")
        self.open_button.setObjectName("openDocumentButton")
        self.open_button.setToolTip(
            "Open a copy in this laptop's app for the file (Enter, or double-click the document)"
        )
        self.open_button.clicked.connect(lambda: self._emit(self.on_open))
        self.save_button = QPushButton("Save a copy…")
        self.save_button.setObjectName("saveDocumentButton")
        self.save_button.setToolTip(f"Save a copy of the file where you choose ({SAVE_SHORTCUT})")
        self.save_button.clicked.connect(lambda: self._emit(self.on_save))
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setObjectName("deleteDocumentButton")
        self.delete_button.setToolTip("Delete the document from the case (Delete key in the list); Ctrl+Z undoes it")
        self.delete_button.clicked.connect(lambda: self._emit(self.on_delete))
        row = QHBoxLayout()
        for button in (self.attach_button, self.open_button, self.save_button, self.delete_button):
            row.addWidget(button)
        row.addStretch()

        self.note = QLabel(NOTE_TEXT)
        self.note.setObjectName("documentsNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #6b7280;")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.note)
        self._update_buttons()

    # -- the case and its documents ----------------------------------------------------------
    def set_case(self, referral_id: str | None) -> None:
        """Follow the case view; reload now if visible, else when next shown."""
        self.referral_id = referral_id
        self._dirty = True
        if self.isVisible():
            self.reload()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self.reload()

    def reload(self, select: str | None = None) -> None:
        """Read the list again, keeping the selected document (or moving to ``select``), else
        the one in the same place, so the keyboard carries on where it was."""
        self._dirty = False
        current = self.current()
        place = self.table.currentIndex().row()
        self.model.reload(self.referral_id)
        rows = self.model.row_count()
        self.stack.setCurrentIndex(1 if rows else 0)
        row = self.model.row_of(select or (current["id"] if current else None))
        if row is None and rows:
            row = min(max(place, 0), rows - 1)
        if row is not None:
            self.table.setCurrentIndex(self.model.index(row, 0))
        self._update_buttons()

    def current(self) -> dict | None:
        index = self.table.currentIndex()
        return self.model.documents[index.row()] if index.isValid() else None

    def _emit(self, handler) -> None:
        doc = self.current()
        if doc is not None:
            handler(doc)

    def _update_buttons(self) -> None:
        chosen = self.current() is not None
        for button in (self.open_button, self.save_button, self.delete_button):
            button.setEnabled(chosen)

    # -- drag and drop ------------------------------------------------------------------------
    @staticmethod
    def _dropped(mime) -> list[Path]:
        if not mime.hasUrls():
            return []
        return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]

    def dragEnterEvent(self, event) -> None:
        if self.referral_id and self._dropped(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        paths = self._dropped(event.mimeData())
        if not (self.referral_id and paths):
            event.ignore()
            return
        event.acceptProposedAction()
        self.on_drop(paths)


# -- undo ------------------------------------------------------------------------------------------
class Deletion:
    """An attachment was deleted (a tombstone); undo brings it back, redo deletes it again.
    Each is an ordinary recorded edit that syncs (see ``desktop.ui.undo``)."""

    def __init__(self, store: Store, record_id: str):
        self.store, self.record_id = store, record_id

    def redo(self) -> None:
        delete_attachment(self.store, self.record_id)

    def undo(self):
        return undo_deletion(self.store, "attachment", self.record_id)


# -- message boxes (tests answer these without a modal box) ---------------------------------------
def _ask(parent, title: str, text: str) -> bool:
    box = QMessageBox(
        QMessageBox.Icon.Question,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.button(QMessageBox.StandardButton.Yes).setText("Delete")
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box.exec() == QMessageBox.StandardButton.Yes


def _tell(parent, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


def _ask_title(parent, path: Path) -> str | None:
    """The title for one file: the file's name unless changed; None if cancelled."""
    title, ok = QInputDialog.getText(
        parent, "Attach file", f"Title for {path.name} (how it is listed on the case):", text=path.stem
    )
    return title.strip() if ok else None


# -- wiring into the main window -------------------------------------------------------------------
class Documents(QObject):
    """The documents feature of one main window."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ask = _ask  # (parent, title, text) -> bool
        self.tell = _tell  # (parent, title, text)
        self.ask_title = _ask_title  # (parent, path) -> str | None
        self.open_url = QDesktopServices.openUrl  # (QUrl) -> bool
        self._deferred: list[tuple[str, str]] = []  # messages held while the window is locked
        self._folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(
            Path.home()
        )
        self.opened_root = Path(window.store.path).parent / OPENED_FOLDER
        self.clear_opened()

        self.tab = DocumentsTab(window.store)
        self.tab.on_attach = self.attach
        self.tab.on_open = self.open_document
        self.tab.on_save = self.save_copy
        self.tab.on_delete = self.delete_document
        self.tab.on_drop = self.attach_paths
        view = window.case_view
        self.tab_index = window.add_case_tab(self.tab, "Documents")
        view.case_changed.connect(self._case_changed)
        if view.case:
            self._case_changed(view.case)

        self.attach_action = window.add_action(
            "case", "Attach &file…", self.attach, ATTACH_SHORTCUT, "attachFile", new_group=True
        )
        self.open_action = window.add_action(
            "case", "Open docu&ment", lambda: self._with_current("open", self.open_document), None, "openDocument"
        )
        self.save_action = window.add_action(
            "case",
            "Save a cop&y of the document…",
            lambda: self._with_current("save", self.save_copy),
            SAVE_SHORTCUT,
            "saveDocumentCopy",
        )
        # The Delete key deletes only from the documents list, never from elsewhere in the
        # window, so this action belongs to the tab (and the menu), not to the window.
        self.delete_action = QAction("De&lete document…", self.tab)
        self.delete_action.setObjectName("deleteDocument")
        self.delete_action.setShortcuts(
            [QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)]
        )
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.delete_action.triggered.connect(lambda _=False: self._with_current("delete", self.delete_document))
        window.menu("case").addAction(self.delete_action)
        self.tab.addAction(self.delete_action)
        for action in (self.open_action, self.save_action):
            self.tab.table.addAction(action)
        self.tab.table.addAction(self.delete_action)

        window.pages.currentChanged.connect(self._page_changed)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.clear_opened)

    # -- following the window ---------------------------------------------------------------------
    def _case_changed(self, case: dict | None) -> None:
        self.tab.set_case(case["referral"]["id"] if case else None)

    def _page_changed(self, _index: int) -> None:
        locked = self.window.locked
        self.delete_action.setEnabled(not locked)
        if not locked and self._deferred:
            messages, self._deferred = self._deferred, []
            for title, text in messages:
                self.tell(self.window, title, text)

    def _message(self, title: str, text: str) -> None:
        """A message box now, or (as file names are case data) after the lock screen."""
        if self.window.locked:
            self._deferred.append((title, text))
        else:
            self.tell(self.window, title, text)

    def _status(self, text: str, ms: int = 6000) -> None:
        self.window.statusBar().showMessage(text, ms)

    def _case_id(self) -> str | None:
        if self.window.locked:
            return None
        case = self.window.case_view.case
        if case is None:
            self._status("Select a case first.", 4000)
            return None
        return case["referral"]["id"]

    def _with_current(self, verb: str, handler: Callable[[dict], None]) -> None:
        """Run a menu command or shortcut on the selected document, once it can be seen."""
        if self._case_id() is None:
            return
        tabs = self.window.case_view.tabs
        if tabs.currentWidget() is not self.tab:
            tabs.setCurrentWidget(self.tab)  # never act on a document the user cannot see
            if self.tab.current() is not None:
                self._status(f"Choose the document to {verb}, then {verb} it again.", 6000)
                self.tab.table.setFocus()
                return
        doc = self.tab.current()
        if doc is None:
            self._status(
                "This case has no documents yet." if not self.tab.model.row_count() else "Select a document first.",
                4000,
            )
            return
        handler(doc)

    def _after_change(self, referral_id: str) -> Callable[[], None]:
        """What an undo command calls after each apply: the first time (the change was just
        made here) redraw what is shown; on undo or redo show the case it changed."""
        first = [True]

        def after() -> None:
            if first[0]:
                first[0] = False
                self.window.refresh()
            else:
                self.window.refresh(select=referral_id)
                if self.window.case_view.case and self.window.case_view.case["referral"]["id"] == referral_id:
                    self.window.case_view.tabs.setCurrentWidget(self.tab)

        return after

    def _run(self, work: Callable[[Store], object], done: Callable[[object, BaseException | None], None]) -> None:
        """``work(store)`` on the window's store worker (attach, export and delete write);
        ``done`` after, on the GUI thread."""
        self.window.tasks.write(work, done)

    # -- attach ----------------------------------------------------------------------------------
    def attach(self) -> None:
        """Choose files and attach them to the case shown (one file may be given a title)."""
        if self._case_id() is None:
            return
        files, _filter = QFileDialog.getOpenFileNames(
            self.window, "Attach files to this case", self._folder, "All files (*)"
        )
        if not files:
            return
        paths = [Path(f) for f in files]
        self._folder = str(paths[0].parent)
        titles: dict[Path, str | None] = {}
        if len(paths) == 1 and paths[0].is_file() and not self._too_large(paths[0]):
            title = self.ask_title(self.window, paths[0])
            if title is None:
                return
            titles[paths[0]] = title or None
        self.attach_paths(paths, titles)

    def _too_large(self, path: Path) -> bool:
        try:
            return path.stat().st_size > attachments.MAX_ATTACHMENT_BYTES
        except OSError:
            return False

    def attach_paths(self, paths: list[Path], titles: dict[Path, str | None] | None = None) -> None:
        """Attach files (chosen or dropped) to the case shown, off the GUI thread. Files that
        cannot be attached (too large, a folder, gone) are named in one message."""
        referral_id = self._case_id()
        if referral_id is None or not self.window.ensure_user_name():
            return
        titles = titles or {}
        refused: list[str] = []
        wanted: list[Path] = []
        for path in paths:
            try:
                if path.is_dir():
                    refused.append(f"“{path.name}” is a folder: attach the files in it instead.")
                elif not path.is_file():
                    refused.append(f"“{path.name}” could not be found.")
                elif path.stat().st_size > attachments.MAX_ATTACHMENT_BYTES:
                    refused.append(too_large_text(path.name, path.stat().st_size))
                else:
                    wanted.append(path)
            except OSError as exc:
                refused.append(f"“{path.name}” could not be read: {exc.strerror or exc}.")
        if refused and not wanted:
            large = all("can be at most" in r for r in refused)
            self._message("File too large" if large else "Not attached", "\n\n".join(refused))
            return
        names = ", ".join(p.name for p in wanted)
        self._status(f"Attaching {names}…", 0)

        def work(store):
            results = []
            for path in wanted:
                try:
                    results.append(
                        (path, add_attachment(store, path, referral_id=referral_id, title=titles.get(path)), None)
                    )
                except AttachmentTooLarge:
                    results.append((path, None, too_large_text(path.name, path.stat().st_size)))
                except (StoreError, OSError) as exc:
                    results.append((path, None, str(exc)))
            return results

        def done(results, error):
            self.window.statusBar().clearMessage()
            problems = list(refused)
            if error is not None:
                problems.append(f"The files could not be attached: {error}")
                results = []
            added = [(path, record_id) for path, record_id, _ in results if record_id]
            problems += [f"“{path.name}”: {why}" if "“" not in why else why for path, _, why in results if why]
            if added:
                text = f"Attach {added[0][0].name}" if len(added) == 1 else f"Attach {len(added)} files"
                steps = [Creation(self.window.store, "attachment", record_id) for _, record_id in added]
                self.window.undo_stack.push(CaseCommand(text, steps, self._after_change(referral_id)))
                shown = self.window.case_view.case
                if shown and shown["referral"]["id"] == referral_id and not self.window.locked:
                    self.window.case_view.tabs.setCurrentWidget(self.tab)
                    self.tab.reload(select=added[-1][1])
                    self.tab.table.setFocus()
                what = added[0][0].name if len(added) == 1 else f"{len(added)} files"
                demo = self.window.store.meta("demo") == "1"
                self._status(
                    f"Attached {what}. "
                    + (
                        "It stays on this laptop (demo data); "
                        if demo
                        else "It is sent to the server at the next sync; "
                    )
                    + "Ctrl+Z undoes this.",
                    8000,
                )
            if problems:
                large = all("can be at most" in p for p in problems)
                self._message("File too large" if large else "Not attached", "\n\n".join(problems))

        self._run(work, done)

    # -- open and save a copy --------------------------------------------------------------------------
    def clear_opened(self) -> None:
        """Empty the folder of opened copies (decrypted files should not linger)."""
        shutil.rmtree(self.opened_root, ignore_errors=True)

    def _prune_opened(self) -> None:
        """Remove copies opened more than a day ago (a file still open in an app on Windows
        cannot be removed; it goes next time)."""
        if not self.opened_root.is_dir():
            return
        cutoff = time.time() - OPENED_KEPT_SECONDS
        for folder in self.opened_root.iterdir():
            try:
                if folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                continue

    def _problem(self, doc: dict, error: BaseException, doing: str) -> tuple[str, str]:
        name = document_name(doc)
        if isinstance(error, AttachmentNotHere):
            return (
                "Not downloaded yet",
                f"The file for “{name}” has not reached this laptop yet. It is fetched at the "
                "next sync (F9 syncs now, when the server can be reached).",
            )
        if isinstance(error, AttachmentDamaged):
            return (
                "File damaged",
                f"Fieldnote's copy of “{name}” is damaged: it no longer matches the file that "
                f"was attached, so it was not {doing}. Nothing has been changed. Contact "
                "your service's IT lead.",
            )
        if isinstance(error, OSError):
            return (
                "Could not write the file",
                f"“{name}” could not be written: {error.strerror or error}. Nothing else has been changed.",
            )
        return ("Document", str(error))

    def open_document(self, doc: dict) -> None:
        """Write a copy to a folder of its own in ``opened-documents`` and open it with the
        laptop's app for its type."""
        if self._case_id() is None:
            return
        root = self.opened_root
        self._status(f"Opening {document_name(doc)}…", 0)

        def work(store):
            from desktop.opened_copies import write_opened_copy  # owner-only folder and file

            return write_opened_copy(store, doc, root)

        def done(path, error):
            self.window.statusBar().clearMessage()
            if error is not None:
                self._message(*self._problem(doc, error, "opened"))
                self.tab.reload()  # the status may have changed (e.g. not downloaded yet)
                return
            if self.window.locked:  # locked while it was being written: show nothing
                shutil.rmtree(path.parent, ignore_errors=True)
                return
            self._prune_opened()
            if not self.open_url(QUrl.fromLocalFile(str(path))):
                self._message(
                    "No app to open it",
                    f"No app on this laptop opens “{path.name}”. Use Save a copy… "
                    f"({SAVE_SHORTCUT}) to keep it somewhere and open it another way.",
                )
                return
            self._status(f"Opened a copy of {path.name}: changes made to it are not saved back into Fieldnote.", 8000)

        self._run(work, done)

    def save_copy(self, doc: dict) -> None:
        """Ask where, then write a copy of the file there."""
        if self._case_id() is None:
            return
        name = doc.get("filename") or document_name(doc)
        dest, _filter = QFileDialog.getSaveFileName(
            self.window, "Save a copy", str(Path(self._folder) / name), "All files (*)"
        )
        if not dest:
            return
        dest_path = Path(dest)
        self._folder = str(dest_path.parent)
        self._status(f"Saving a copy of {document_name(doc)}…", 0)

        def done(path, error):
            self.window.statusBar().clearMessage()
            if error is not None:
                self._message(*self._problem(doc, error, "saved"))
                self.tab.reload()
                return
            self._status(f"Saved a copy of {document_name(doc)} as {path}.", 8000)

        self._run(lambda store: export_attachment(store, doc["id"], dest_path), done)

    # -- delete -----------------------------------------------------------------------------------------
    def delete_document(self, doc: dict) -> None:
        referral_id = self._case_id()
        if referral_id is None:
            return
        name = document_name(doc)
        if not self.ask(
            self.window,
            "Delete document",
            f"Delete “{name}” from this case? It goes from every laptop and the "
            "server at the next sync.\n\nEdit ▸ Undo (Ctrl+Z) brings it back.",
        ):
            return

        def done(_result, error):
            if error is not None:
                self._message("Not deleted", f"“{name}” could not be deleted: {error}")
                self.tab.reload()
                return
            self.window.undo_stack.push(
                CaseCommand(f"Delete {name}", [Deletion(self.window.store, doc["id"])], self._after_change(referral_id))
            )
            self.tab.reload()
            self.tab.table.setFocus()
            self._status(f"Deleted {name}. Ctrl+Z brings it back.", 8000)

        self._run(lambda store: delete_attachment(store, doc["id"]), done)


def install(window) -> None:
    """Add the Documents tab and its commands to ``window`` (a ``MainWindow``); the feature
    object is kept as ``window.documents``."""
    window.documents = Documents(window)
