"""Observation files from the window: export an observation as JSON or CSV, import one.

The same core as ``fieldnote observation export`` / ``import`` (``desktop.observation.interchange``
writes and validates the format, docs/observation-format.md; ``StoreObservationRepository`` reads
and stores), run on the store worker (``window.tasks``), never on the GUI thread. A file that is
refused says why, in the format's own words.

``install(window)`` adds Case ▸ Export observation… (the observation selected in the case's
timeline) and Case ▸ Import observation file…; the observation window's summary has its own
Export… button (``export_observation``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop.dates import to_uk
from desktop.observation.errors import ObservationError
from desktop.observation.files import export_file, read_for_import, store_import

JSON_FILTER = "Fieldnote observation (*.json)"
CSV_FILTER = "Intervals for a spreadsheet (*.csv)"


def _refusal(error: BaseException) -> str:
    """What the user reads when a file is refused: the format's reason, never an exception's
    class name."""
    if isinstance(error, (ObservationError, OSError)):
        return str(error)
    return "Fieldnote could not read it."


def export_observation(window, observation_id: str, parent=None) -> None:
    """Ask where to save the observation (JSON or CSV, by the file type chosen) and write it on
    the store worker; say where it went, or why it could not be written."""
    row = window.store.get("observation", observation_id)
    if row is None:
        return
    if row["status"] == "recording":
        QMessageBox.information(
            parent or window, "Export observation", "End the observation first: only an ended observation is exported."
        )
        return
    stem = f"Observation {to_uk(row['started_at'][:10]).replace('/', '-')}"
    if row["lesson"]:
        stem += f" {row['lesson']}"
    stem = "".join(c for c in stem if c.isalnum() or c in " -_").strip()
    path, chosen = QFileDialog.getSaveFileName(
        parent or window, "Export observation", str(Path.home() / f"{stem}.json"), f"{JSON_FILTER};;{CSV_FILTER}"
    )
    if not path:
        return
    fmt = "csv" if chosen == CSV_FILTER or path.lower().endswith(".csv") else "json"
    target = Path(path)
    if target.suffix.lower() != f".{fmt}":
        target = target.with_name(target.name + f".{fmt}")

    def done(written, error):
        if error is not None:
            QMessageBox.warning(
                parent or window, "Export observation", f"The observation was not exported: {_refusal(error)}"
            )
        else:
            window.statusBar().showMessage(f"Observation exported to {written}.", 8000)
            window.refresh()
        window.observation_export_done = written or error

    window.tasks.write(lambda store: export_file(store, observation_id, target, fmt), done)


class ObservationFiles(QObject):
    """Case ▸ Export observation… and Import observation file… of one main window."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.export_action = window.add_action(
            "case", "E&xport observation…", self.export_selected, None, "exportObservation", new_group=True
        )
        self.import_action = window.add_action(
            "case", "&Import observation file…", self.import_file, None, "importObservation"
        )
        self.last = None  # the last import's outcome (an Observation, or the error): for tests

    def export_selected(self) -> None:
        """Export the observation selected in the case's timeline."""
        view = self.window.case_view
        index = view.timeline.currentIndex()
        if not index.isValid() or index.data(view.TimelineKindRole) != "observation":
            self.window.statusBar().showMessage("Select an observation in the case's timeline, then export it.", 6000)
            return
        export_observation(self.window, index.data(view.TimelineIdRole))

    def import_file(self, path: str | None = None) -> None:
        """Choose a ``fieldnote-observation`` JSON file, check it on the store worker, and store
        it: in the case it names, or (asked first) in the case shown when that case is not on
        this laptop. A refused file says why and stores nothing."""
        window = self.window
        shown = window.case_view.case
        if path is None:
            path, _ = QFileDialog.getOpenFileName(window, "Import an observation", str(Path.home()), JSON_FILTER)
            if not path:
                return
        if not window.ensure_user_name():
            return
        source = Path(path)

        def refused(error):
            self.last = error
            QMessageBox.warning(window, "Import observation", f"“{source.name}” was not imported: {_refusal(error)}")

        def checked(result, error):
            if error is not None:
                return refused(error)
            observation, case_id = result
            if case_id is None:
                if shown is None:
                    return refused(
                        ObservationError(
                            "it was recorded for a case that is not on this laptop; open the "
                            "pupil's case first, then import it there"
                        )
                    )
                pupil = shown["pupil"]
                if (
                    QMessageBox.question(
                        window,
                        "Import observation",
                        f"“{source.name}” was recorded for a case that is not on this laptop. "
                        f"Import it into {pupil['first_name']} {pupil['last_name']}'s case?",
                    )
                    != QMessageBox.StandardButton.Yes
                ):
                    return None
                case_id = shown["referral"]["id"]
            window.tasks.write(lambda store: store_import(store, observation, case_id), stored)

        def stored(observation, error):
            if error is not None:
                return refused(error)
            self.last = observation
            case_id = observation.setup.case_id
            window.refresh(select=case_id)
            window.statusBar().showMessage(
                f"Imported the observation ({observation.setup.lesson or 'lesson'}, "
                f"{len(observation.intervals)} intervals).",
                8000,
            )

        window.tasks.read(lambda store: read_for_import(store, source), checked)


def install(window) -> ObservationFiles:
    """Add the observation-file commands to ``window``; kept as ``window.observation_files``."""
    window.observation_files = ObservationFiles(window)
    return window.observation_files
