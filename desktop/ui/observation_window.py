"""Classroom observation: set-up, the keyboard-first recording window, and its summary.

The engine (no Qt) owns the timing: prompt k is due at start + k × interval on the
monotonic clock. This window only asks it, with a precise single-shot timer aimed
at the next due time plus a 200 ms tick for the countdown, so a slow repaint can
never shift the schedule. Every key press goes through the engine to the store's
sink, which commits it before the screen changes.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.observation.engine import ObservationEngine, SystemClock
from desktop.observation.errors import ObservationError
from desktop.observation.records import ObservationSetup, subject_of
from desktop.observation.scheme import RecordingMethod, SamplePoint, check_setup, presets
from desktop.observation.store_repository import StoreObservationRepository
from desktop.observation.summary import summarise
from desktop.reports import observation_tables as tables
from desktop.reports.charts import strip_cell_at, to_drawing
from desktop.reports.figures import minutes_text, percent_text
from desktop.reports.observation_tables import clock_text
from desktop.reports.visit import observation_strip
from desktop.ui.column_fit import FittedTableView
from desktop.ui.chart_view import paint_drawing
from desktop.store import ValidationError
from desktop.ui.dialogs import RecordDialog
from desktop.ui.style import text_size
from desktop.ui.models import TextTableModel

SUBJECT_COLOURS = {"target": "#1d4ed8", "peer": "#111827"}


def setup_dialog(case: dict, parent=None, schemes_available=None) -> RecordDialog:
    """Set-up for one observation of the case's pupil; ``result_value`` is (setup, scheme)."""
    schemes = {s.id: s for s in (schemes_available or presets())}

    def save(v):
        scheme = schemes[v["scheme"]]
        try:
            setup = ObservationSetup(
                case_id=case["referral"]["id"],
                pupil=f"{case['pupil']['first_name']} {case['pupil']['last_name']}",
                school=case["school"]["name"],
                lesson=v["lesson"] or "",
                teacher=v["teacher"] or "",
                setting=v["setting"] or "",
                class_size=v["class_size"] or None,
                adults_present=v["adults_present"] or None,
                interval_seconds=v["interval_seconds"] or scheme.interval_seconds,
                planned_duration_seconds=(v["planned_minutes"] * 60) or None,
                peer_every=v["peer_every"] or None,
                prompt_audible=bool(v["prompt_audible"]),
                prompt_visual=bool(v["prompt_visual"]),
            )
            check_setup(scheme, setup.interval_seconds)
        except (ValueError, ObservationError) as exc:
            raise ValidationError({"interval_seconds": str(exc)}) from None
        return setup, scheme

    d = RecordDialog("Start a classroom observation", save, parent)
    d.buttons.button(d.buttons.StandardButton.Save).setText("Start")
    d.add_choice("scheme", "Coding scheme", {s.id: s.name for s in schemes.values()})
    d.add_text("lesson", "Lesson / subject", "e.g. Year 5 maths")
    d.add_text("teacher", "Teacher")
    d.add_text("setting", "Setting", "e.g. classroom, hall")
    d.add_number("class_size", "Pupils in class", 60)
    d.add_number("adults_present", "Adults present", 20)
    d.add_number("interval_seconds", "Interval (seconds)", 3600)
    d.add_number("planned_minutes", "Planned length (minutes)", 600)
    d.add_number("peer_every", "Comparison peer every Nth interval (0 = none)", 50)
    d.add_check("prompt_audible", "Sound at each prompt")
    d.add_check("prompt_visual", "Flash at each prompt")

    def scheme_defaults():
        scheme = schemes[d.fields["scheme"].currentData()]
        d.set_values({"interval_seconds": scheme.interval_seconds, "peer_every": scheme.peer_every or 0})

    d.fields["scheme"].currentIndexChanged.connect(scheme_defaults)
    scheme_defaults()
    d.set_values({"planned_minutes": 60, "prompt_audible": 1, "prompt_visual": 1, "lesson": "", "setting": "Classroom"})
    return d


STATUS_WORDS = {
    "coded": "coded",
    "skipped": "skipped (pupil out of view)",
    "gap": "gap (the app was not running)",
    "uncoded": "uncoded (nothing keyed: left out of the %)",
    "incomplete": "incomplete (the observation ended in it)",
}
#: The most cells in a row of the window's strip; a longer lesson wraps onto more rows.
STRIP_ROW_CELLS = 60
#: Screen pixels per point of the strip's drawing: the page's 8.5 pt labels and 14 pt cells
#: would be small at one pixel a point, read across a classroom at arm's length.
STRIP_ZOOM = 1.6


class StripView(QWidget):
    """The intervals so far, drawn from the chart description the visit report prints
    (``desktop.reports.visit.observation_strip``): one cell per interval, marked and
    coloured by its on- or off-task code, grey with a dot when left out of the
    percentages, a bar above for a peer interval; the planned intervals still to come are
    outlines. Hover a cell for its interval, status, every code scored and its note.

    The description is rebuilt at every refresh (a fraction of a millisecond) and drawn
    again only when it changed (an interval closed, one was skipped): the reportlab
    drawing the PDF would print, painted by Qt into a cached pixmap
    (``chart_view.paint_drawing``), since going through SVG took 60-180 ms a redraw."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("intervalStrip")
        self.setMouseTracking(True)
        self.setMinimumHeight(60)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Window, QColor("white"))  # the chart's colours assume paper
        self.setPalette(pal)
        self.chart = None
        self.drawing = None
        self.drawn_width = 0
        self.redraws = 0  # how many times the drawing was made (tests: unchanged means none)
        self._pixmap: QPixmap | None = None
        self.intervals = ()
        self.labels: dict[str, str] = {}

    def show_observation(self, obs) -> None:
        # While recording: the planned lesson in a row (or rows of 60), filling as it goes.
        # Ended: rows of 30 cells, the layout of the visit report's strip.
        recording = obs.status == "recording"
        planned = (obs.setup.planned_intervals or 0) if recording else 0
        per_row = min(STRIP_ROW_CELLS, max(30, planned)) if recording else 30
        self.intervals = tuple(obs.intervals)
        self.labels = {c.id: c.label for c in obs.scheme.codes}
        self.set_chart(observation_strip(obs, title="", per_row=per_row, slots=planned))

    def set_chart(self, chart) -> None:
        if chart == self.chart:
            return  # the same description (frozen data): nothing to draw again
        self.chart = chart
        self._draw()

    def _draw(self) -> None:
        width = max(200, self.width())
        self.drawing = to_drawing(self.chart, width / STRIP_ZOOM) if self.chart is not None else None
        self.drawn_width = width
        self.redraws += 1
        self._pixmap = None
        self.setFixedHeight(max(60, math.ceil(self.drawing.height * STRIP_ZOOM)) if self.drawing else 60)
        self.update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.chart is not None and max(200, self.width()) != self.drawn_width:
            self._draw()

    def paintEvent(self, _event) -> None:
        if self.drawing is None:
            return
        if self._pixmap is None:
            ratio = self.devicePixelRatioF()
            pixmap = QPixmap(
                math.ceil(self.drawing.width * STRIP_ZOOM * ratio), math.ceil(self.drawing.height * STRIP_ZOOM * ratio)
            )
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(QColor("white"))
            painter = QPainter(pixmap)
            painter.scale(STRIP_ZOOM, STRIP_ZOOM)
            paint_drawing(painter, self.drawing)
            painter.end()
            self._pixmap = pixmap
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._pixmap)

    def index_at(self, x: float, y: float) -> int | None:
        """0-based interval under the widget point (x, y), or None."""
        if self.chart is None or not self.drawn_width:
            return None
        return strip_cell_at(self.chart, self.drawn_width / STRIP_ZOOM, x / STRIP_ZOOM, y / STRIP_ZOOM)

    def tooltip_at(self, i: int) -> str:
        iv = self.intervals[i]
        codes = ", ".join(self.labels.get(c, c) for c in iv.codes) or "no codes"
        text = (
            f"Interval {iv.index} ({iv.subject}), {clock_text(iv.start_s)}–{clock_text(iv.end_s)}: "
            f"{STATUS_WORDS.get(iv.status, iv.status)}"
        )
        if iv.status in ("coded", "incomplete"):
            text += f"; {codes}"
        if iv.note:
            text += f"\nNote: {iv.note}"
        return text

    def event(self, event) -> bool:
        from PySide6.QtCore import QEvent
        from PySide6.QtWidgets import QToolTip

        if event.type() == QEvent.Type.ToolTip:
            i = self.index_at(event.pos().x(), event.pos().y())
            if i is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), self.tooltip_at(i), self)
            return True
        return super().event(event)


class ObservationWindow(QWidget):
    """The live recording window. Keys: the scheme's code keys; Enter same as last interval;
    Backspace none of these seen; Tab skip this interval (keys then go to the next, which the
    window shows); Ctrl+N note; Space pause/resume; Ctrl+B ABC record; Ctrl+P phase; Esc end.
    The code buttons light exactly what the interval a key lands in will score."""

    ended = Signal(str)  # observation id

    def __init__(self, engine: ObservationEngine, clock, parent=None, repository=None):
        super().__init__(parent, Qt.WindowType.Window)
        self.engine = engine
        self.repository = repository
        self.clock = clock  # the engine's clock: the countdown reads the same time
        obs = engine.observation
        self.setWindowTitle(f"Observation — {obs.setup.pupil} — {obs.setup.lesson or 'lesson'}")
        self.setMinimumSize(1000, 640)
        from desktop.ui import window_state

        window_state.restore(self, "observation", 1340, 740)  # within the screen, as last left
        self.colours = {c.id: c.colour for c in obs.scheme.codes}
        self.prompt_count = 0
        self._flash_off = QTimer(self, singleShot=True, interval=350)
        self._flash_off.timeout.connect(lambda: self.banner.setStyleSheet(self._banner_style()))

        self.heading = QLabel(f"<b>{obs.setup.pupil}</b> · {obs.setup.school} · {obs.setup.lesson}")
        text_size(self.heading, 1.2)
        self.banner = QLabel()
        self.banner.setObjectName("subjectBanner")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text_size(self.banner, 1.65)
        self.interval_label = QLabel()
        self.interval_label.setObjectName("intervalLabel")
        self.countdown = QLabel()
        self.countdown.setObjectName("countdown")
        text_size(self.countdown, 4.0, bold=True)
        self.on_task = QLabel()
        self.on_task.setObjectName("onTask")
        text_size(self.on_task, 1.2)
        self.status_line = QLabel()
        self.status_line.setObjectName("statusLine")
        self.status_line.setStyleSheet("color: #92400e;")
        # When momentary codes are sampled, and (start sampling) the grace left to key them.
        self.sample_cue = QLabel()
        self.sample_cue.setObjectName("sampleCue")
        self.sample_cue.setWordWrap(True)
        self.sample_cue.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.carry_label = QLabel("Carry-over is on: codes stay selected into the next interval until you change them.")
        self.carry_label.setObjectName("carryOver")
        self.carry_label.setWordWrap(True)
        self.carry_label.setStyleSheet("background: #fef3c7; color: #92400e; padding: 4px;")
        self.carry_label.setVisible(obs.scheme.carry_over)

        self.code_buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        groups: dict[str, int] = {}
        labels = {g.id: g.label for g in obs.scheme.groups}
        for code in obs.scheme.codes:
            group = code.group or code.method.value
            if group not in groups:
                groups[group] = len(groups)
                heading = QLabel(labels.get(group, group.replace("_", " ").capitalize()))
                heading.setStyleSheet("font-weight: 600; color: #374151;")
                grid.addWidget(heading, 0, groups[group])
            column = groups[group]
            row = 1 + sum(1 for c in self.code_buttons if self._group(c) == group)
            button = QPushButton(f"{code.key}   {code.label}")
            button.setObjectName(f"code_{code.id}")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the window, not a button
            button.setAccessibleName(f"{code.label} (key {code.key})")
            button.setToolTip(f"{code.label}: press {code.key}")
            button.setMinimumHeight(48)
            button.clicked.connect(lambda _=False, k=code.key: self.press(k))
            grid.addWidget(button, row, column)
            self.code_buttons[code.id] = button
        self.strip = StripView()
        hints = QLabel(
            "Keys: codes as shown · Enter same as last interval · Backspace none of these seen · "
            "Tab skip this interval (keys go to the next) · Ctrl+N note · Space pause · "
            "Ctrl+B ABC incident · Ctrl+P lesson phase · Esc end"
        )
        hints.setWordWrap(True)
        hints.setStyleSheet("color: #6b7280;")
        end = QPushButton("End observation")
        end.setObjectName("endObservation")
        end.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        end.setAccessibleName("End observation (key Esc)")
        end.clicked.connect(self.end)
        self.end_button = end
        self.finalise_button = QPushButton("Finalise")
        self.finalise_button.setObjectName("finaliseObservation")
        self.finalise_button.setToolTip("A finalised observation cannot change; a correction becomes a new version.")
        self.finalise_button.clicked.connect(self.finalise)
        self.finalise_button.hide()
        self.agreement_button = QPushButton("Agreement…")
        self.agreement_button.setObjectName("agreement")
        self.agreement_button.setToolTip("Compare with a second observer's recording of the same lesson")
        self.agreement_button.clicked.connect(lambda: self.agreement())
        self.agreement_button.hide()
        self.export_button = QPushButton("Export…")
        self.export_button.setObjectName("exportObservation")
        self.export_button.setToolTip(
            "Save this observation as a Fieldnote file (JSON) or its intervals for a spreadsheet (CSV)"
        )
        self.export_button.clicked.connect(lambda: self.export())
        self.export_button.hide()
        self.summary = SummaryView()
        self.summary.hide()

        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.on_task)
        clock_box = QVBoxLayout()
        clock_box.addWidget(self.banner)
        clock_box.addWidget(self.interval_label)
        clock_box.addWidget(self.countdown, 0, Qt.AlignmentFlag.AlignHCenter)
        clock_box.addWidget(self.sample_cue)
        clock_box.addWidget(self.carry_label)
        clock_box.addStretch()
        codes_box = QVBoxLayout()
        codes_box.addLayout(grid)
        codes_box.addStretch()
        self.codes_panel = QWidget()
        self.codes_panel.setLayout(codes_box)
        middle = QHBoxLayout()
        middle.addLayout(clock_box, 1)
        middle.addWidget(self.codes_panel, 3)
        middle.addWidget(self.summary, 3)
        bottom = QHBoxLayout()
        bottom.addWidget(hints, 1)
        self.hints = hints
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.agreement_button)
        bottom.addWidget(self.finalise_button)
        bottom.addWidget(end)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(middle, 1)
        layout.addWidget(self.status_line)
        layout.addWidget(QLabel("Intervals so far, as the visit report prints them (hover a cell for its details):"))
        layout.addWidget(self.strip)
        layout.addLayout(bottom)

        # Handled in keyPressEvent, not as shortcuts: they must work whatever has focus
        # in this window, and Tab must never move focus instead of moving on.
        self.commands = {
            (Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier): self.skip,
            (Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier): self.same_as_last,
            (Qt.Key.Key_Enter, Qt.KeyboardModifier.NoModifier): self.same_as_last,
            (Qt.Key.Key_Backspace, Qt.KeyboardModifier.NoModifier): self.none_seen,
            (Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier): self.toggle_pause,
            (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier): self.end,
            (Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier): self.note,
            (Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier): self.abc,
            (Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier): self.phase,
        }

        self.prompt_timer = QTimer(self)
        self.prompt_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.prompt_timer.setSingleShot(True)
        self.prompt_timer.timeout.connect(self.tick)
        self.display_timer = QTimer(self)
        self.display_timer.setInterval(200)
        self.display_timer.timeout.connect(self.tick)
        self.display_timer.start()
        self.tick()
        self.refresh()  # an ended or finalised observation: the strip and header too

    def _group(self, code_id: str) -> str:
        code = next(c for c in self.engine.observation.scheme.codes if c.id == code_id)
        return code.group or code.method.value

    # -- timing ----------------------------------------------------------------------------
    def tick(self) -> None:
        """Poll the engine (prompts fire here), then redraw and re-aim the prompt timer."""
        if self.engine.observation.status != "recording":
            return
        prompts = self.engine.poll()
        if prompts:
            self.prompted(prompts[-1])
        due = self.engine.next_prompt_due()
        if due is not None:
            ms = max(0, int((due - self.clock.monotonic()) * 1000))
            self.prompt_timer.start(ms)
        self.refresh()
        if self.engine.observation.status != "recording":
            self._finished()

    def prompted(self, prompt) -> None:
        """The sampling instant: a beep, a flash and "sample now" (the interval a key lands in moved on)."""
        setup = self.engine.observation.setup
        self.prompt_count += 1
        if setup.prompt_audible:
            QApplication.beep()
        if setup.prompt_visual:
            self.banner.setStyleSheet("background: #facc15; color: #111827; font-weight: 700; padding: 8px;")
            self._flash_off.start()

    # -- actions ----------------------------------------------------------------------------
    def focusNextPrevChild(self, _next: bool) -> bool:
        return False  # Tab means "next interval" here

    def keyPressEvent(self, event) -> None:
        modifiers = event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
        command = self.commands.get((Qt.Key(event.key()), modifiers))
        if command:
            command()
            return
        text = event.text()
        if text and not modifiers and self.engine.observation.status == "recording" and self.press(text):
            return
        super().keyPressEvent(event)

    def press(self, key: str) -> bool:
        """Code by key; False if the key means nothing in this scheme."""
        if self.engine.observation.scheme.by_key(key) is None:
            return False
        self._act(self.engine.press, key)
        return True

    def _act(self, fn, *args) -> bool:
        """Run an engine action; a refusal is shown in words and nothing is lit that was not recorded."""
        try:
            fn(*args)
        except ObservationError as exc:
            message = str(exc)
            self.status_line.setText(message[:1].upper() + message[1:] + ".")
            self.refresh()
            return False
        if not self.engine.observation.paused:
            self.status_line.clear()
        self.refresh()
        return True

    def skip(self) -> None:
        if self._act(self.engine.skip_interval):
            k = self.engine.observation.current_interval
            self.status_line.setText(f"Interval {k} is skipped: keys now go to interval {k + 1}.")

    def same_as_last(self) -> None:
        if self.engine.observation.status == "recording":
            self._act(self.engine.same_as_last)

    def none_seen(self) -> None:
        if self.engine.observation.status == "recording":
            self._act(self.engine.none_seen)

    def toggle_pause(self) -> None:
        self._act(self.engine.resume_after_pause if self.engine.observation.paused else self.engine.pause)
        self.tick()

    def note(self) -> None:
        text, ok = QInputDialog.getText(self, "Note", "Note for this interval:")
        if ok and text.strip():
            self._act(self.engine.set_note, text.strip())

    def phase(self) -> None:
        text, ok = QInputDialog.getText(self, "Lesson phase", "The phase starting now (e.g. plenary):")
        if ok and text.strip():
            self._act(self.engine.mark_phase, text.strip())

    def abc(self) -> None:
        dialog = AbcDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._act(self.engine.record_abc, *dialog.values())

    def end(self) -> None:
        if self.engine.observation.status != "recording":
            self.close()
            return
        if QMessageBox.question(self, "End observation", "End the observation now?") == QMessageBox.StandardButton.Yes:
            self._act(self.engine.end)
            self._finished()

    def _finished(self) -> None:
        self.prompt_timer.stop()
        self.display_timer.stop()
        self.refresh()
        self.show_ended()
        self.ended.emit(self.engine.observation.id)

    def show_ended(self) -> None:
        """Swap the code keys for the summary; offer to finalise."""
        obs = self.engine.observation
        self.codes_panel.hide()
        self.summary.show_summary(obs)
        self.summary.show()
        self.hints.setText("Finalised observations cannot change; a correction is a new version.")
        self.end_button.setText("Close")
        self.end_button.setAccessibleName("Close")
        self.end_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # no code keys now: Tab reaches it
        self.finalise_button.setVisible(obs.status == "ended")
        self.agreement_button.show()
        self.export_button.setVisible(self.repository is not None)
        if obs.status == "finalised":
            self.banner.setText("Finalised")

    def export(self) -> None:
        """Export this observation as a file (``desktop.ui.observation_files``), through the
        main window's store worker."""
        from desktop.ui.observation_files import export_observation

        export_observation(self.parent(), self.engine.observation.id, self)

    def agreement(self, path: str | None = None) -> "AgreementDialog | None":
        """Import a second observer's file (kept in the store) and show the agreement."""
        from PySide6.QtWidgets import QFileDialog

        from desktop.observation.agreement import compare
        from desktop.observation.interchange import read_file
        from desktop.observation.repository import DuplicateObservation

        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Second observer's recording", "", "Fieldnote observation (*.json)"
            )
            if not path:
                return None
        try:
            other = read_file(path)
            try:
                self.repository.add(other)
            except DuplicateObservation:
                pass  # imported before: the stored copy is the same observation
            report = compare(self.engine.observation, other)
        except ObservationError as exc:
            QMessageBox.warning(self, "Agreement", f"That file cannot be compared: {exc}")
            return None
        dialog = AgreementDialog(report, {c.id: c.label for c in self.engine.observation.scheme.codes}, self)
        dialog.show()
        return dialog

    def finalise(self) -> None:
        if (
            QMessageBox.question(  # it cannot be undone: ask first
                self,
                "Finalise the observation?",
                "A finalised observation cannot change; a later correction becomes a new version. Finalise it now?",
            )
            != QMessageBox.StandardButton.Yes
        ):
            return
        self._act(self.engine.finalise)
        self.show_ended()
        self.ended.emit(self.engine.observation.id)

    def closeEvent(self, event) -> None:
        if self.engine.observation.status == "recording":
            answer = QMessageBox.question(
                self,
                "Observation still recording",
                "End the observation now? Choose No to leave it recording: Fieldnote will offer "
                "to resume it (the time away is marked as a gap).",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.StandardButton.Yes:
                self._act(self.engine.end)
                self._finished()
        self.prompt_timer.stop()
        self.display_timer.stop()
        from desktop.ui import window_state

        window_state.save(self, "observation")
        super().closeEvent(event)

    # -- display ----------------------------------------------------------------------------
    def _banner_style(self) -> str:
        obs = self.engine.observation
        colour = SUBJECT_COLOURS.get(subject_of(obs.coding_interval, obs.setup.peer_every), "#374151")
        return f"background: {colour}; color: white; font-weight: 700; padding: 8px;"

    def refresh(self) -> None:
        obs = self.engine.observation
        planned = obs.setup.planned_intervals
        if obs.status == "recording":
            subject = obs.current_subject
            self.banner.setText("PEER" if subject == "peer" else "TARGET PUPIL")
            if not self._flash_off.isActive():
                self.banner.setStyleSheet(self._banner_style())
            of = f" of {planned}" if planned else ""
            due = self.engine.next_prompt_due()
            left = None if obs.paused or due is None else max(0.0, due - self.clock.monotonic())
            # The interval a key lands in: after Tab (or a restart's gap) that is the next one.
            k = obs.coding_interval
            if k != obs.current_interval:
                subject = subject_of(k, obs.setup.peer_every)
                self.banner.setText("NEXT: PEER" if subject == "peer" else "NEXT: TARGET PUPIL")
                starts = "" if left is None else f", which starts in {clock_text(left)}"
                self.interval_label.setText(
                    f"Interval {k}{of}{starts} (interval {obs.current_interval} {obs.current_exclusion})"
                )
            elif obs.current_exclusion:
                self.interval_label.setText(
                    f"Interval {k}{of} ({obs.current_exclusion}: the last one, nothing more to code)"
                )
            else:
                self.interval_label.setText(f"Interval {k}{of}")
            if obs.paused or due is None:
                self.countdown.setText("paused" if obs.paused else "")
            else:
                self.countdown.setText(clock_text(left))
            self.sample_cue.setText(self._sample_text(left))
        else:
            self.banner.setText("Finalised" if obs.status == "finalised" else "Ended")
            self.banner.setStyleSheet("background: #374151; color: white; padding: 8px;")
            self.countdown.setText("")
            self.sample_cue.setText("")
            self.interval_label.setText(f"{len(obs.intervals)} intervals recorded")
        # Lit: exactly what the interval a key lands in will score (and state codes running).
        states = {c.id for c in obs.scheme.codes_by(RecordingMethod.STATE)}
        selected = obs.shown_codes() | (obs.selection & states) if obs.status == "recording" else frozenset()
        for code_id, button in self.code_buttons.items():
            on = code_id in selected
            button.setChecked(on)
            colour = self.colours[code_id]
            button.setStyleSheet(
                f"background: {colour}; color: white; font-weight: 700;"
                if on
                else f"border: 2px solid {colour}; background: white;"
            )
        counts = {}
        for c in obs.counts:
            counts[c.code] = counts.get(c.code, 0) + 1
        for code_id, n in counts.items():
            if code_id in self.code_buttons:
                self.code_buttons[code_id].setText(self.code_buttons[code_id].text().split("  (")[0] + f"  ({n})")
        self.on_task.setText(self._on_task_text())
        self.strip.show_observation(obs)
        if obs.paused:
            self.status_line.setText("Paused: press Space to carry on. Paused time is not observed.")
        elif self.status_line.text().startswith("Paused"):
            self.status_line.clear()

    def _sample_text(self, left: float | None) -> str:
        """The sampling instant made visible: start sampling counts the grace down."""
        obs = self.engine.observation
        if not obs.scheme.codes_by(RecordingMethod.MOMENTARY) or obs.paused:
            return ""
        if obs.scheme.sample_at is SamplePoint.START:
            grace = self.engine.grace_left()
            if grace:
                self.sample_cue.setStyleSheet("background: #facc15; color: #111827; font-weight: 700; padding: 6px;")
                text_size(self.sample_cue, 1.35)
                return f"SAMPLE NOW: key what you see — {grace:.1f} s left"
            self.sample_cue.setStyleSheet("color: #374151;")
            text_size(self.sample_cue, 1.0)
            return "Sample taken. The next sample is at the prompt."
        self.sample_cue.setStyleSheet("color: #374151;")
        text_size(self.sample_cue, 1.0)
        when = "" if left is None else f" (in {clock_text(left)})"
        return f"Momentary codes are sampled at the prompt{when}: key what the pupil is doing then."

    def _on_task_text(self) -> str:
        obs = self.engine.observation
        if not obs.intervals:
            return "On task: —"
        summary = summarise(obs)
        parts = []
        for label, subject in (("Target", summary.overall.target), ("Peer", summary.overall.peer)):
            if subject is not None and subject.on_task.denominator:
                # the figure the visit report prints for this observation (one definition)
                parts.append(f"{label} on task {percent_text(subject.on_task)}")
        return " · ".join(parts) or "On task: —"

    def locked_status(self) -> str:
        """The line the idle lock's cover shows over this window: that recording goes on
        (timer, prompts and commits are untouched by the lock), never the codes."""
        obs = self.engine.observation
        if obs.status != "recording":
            return ""
        state = "paused" if obs.paused else f"on interval {obs.current_interval}"
        return (
            f"An observation is recording ({state}). It carries on while Fieldnote is "
            "locked; its codes are hidden until you unlock."
        )


class SummaryView(QWidget):
    """The summary of an ended observation: % of intervals per code for target and peer
    (BOSS arithmetic), events and rates per subject, state time, the same by lesson phase or
    time bin, and the notes, ABC incidents and phases recorded."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.codes_model = TextTableModel(self)
        self.blocks_model = TextTableModel(self)
        self.notes_model = TextTableModel(self)
        self.codes_table, self.blocks_table, self.notes_table = FittedTableView(), QTableView(), QTableView()
        for table, model in (
            (self.codes_table, self.codes_model),
            (self.blocks_table, self.blocks_model),
            (self.notes_table, self.notes_model),
        ):
            table.setModel(model)
            table.verticalHeader().hide()
            table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
            table.horizontalHeader().setStretchLastSection(True)
        self.codes_table.setObjectName("summaryCodes")
        # the codes elide (in full in their tooltips); long headings go onto two lines
        self.codes_table.fit_columns(elide=(0,))
        self.codes_table.setAccessibleName("Codes: pupil and peer")
        self.blocks_table.setObjectName("summaryBlocks")
        self.blocks_table.setAccessibleName("On-task by block of time")
        self.notes_table.setObjectName("summaryNotes")
        self.notes_table.setAccessibleName("Phases, notes and ABC incidents")
        self.notes_table.setWordWrap(True)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.blocks_heading = QLabel()
        layout = QHBoxLayout(self)
        left = QVBoxLayout()
        left.addWidget(self.heading)
        left.addWidget(self.codes_table, 1)
        right = QVBoxLayout()
        right.addWidget(self.blocks_heading)
        right.addWidget(self.blocks_table, 1)
        right.addWidget(QLabel("<b>Phases, notes and ABC incidents</b>"))
        right.addWidget(self.notes_table, 1)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)

    def show_summary(self, obs) -> None:
        summary = summarise(obs)
        target, peer = summary.overall.target, summary.overall.peer
        excluded = ", ".join(f"{n} {status}" for status, n in summary.statuses.items() if n and status != "coded")
        self.heading.setText(
            f"<b>{summary.intervals} intervals of {summary.interval_seconds} s</b>, "
            f"{minutes_text(summary.observed_seconds)} minutes observed"
            + (f" ({excluded}, left out of the percentages)" if excluded else "")
            + f"<br>Target on task: <b>{percent_text(target.on_task)}</b> of {target.included} intervals"
            + (f" · Peer on task: <b>{percent_text(peer.on_task)}</b> of {peer.included}" if peer else "")
            + ("" if target.on_task.reason is None or target.included == 0 else f" ({target.on_task.reason})")
        )
        self.blocks_heading.setText(f"<b>{tables.blocks_heading(summary)}</b>")
        for view, model, table in (
            (self.codes_table, self.codes_model, tables.codes_table(obs, summary)),
            (self.blocks_table, self.blocks_model, tables.blocks_table(obs, summary)),
            (self.notes_table, self.notes_model, tables.notes_table(obs)),
        ):
            model.set_table(table)
            if view is not self.codes_table:  # that one fits itself (codes_fit)
                view.resizeColumnsToContents()


class AgreementDialog(QDialog):
    """Inter-observer agreement between this observation and a second observer's."""

    def __init__(self, report, labels: dict[str, str], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Inter-observer agreement")
        self.resize(900, 560)
        self.report = report
        self.codes_model = TextTableModel(self)
        self.codes_model.set_table(tables.agreement_table(report, labels))
        table = QTableView()
        table.setObjectName("agreementCodes")
        table.setModel(self.codes_model)
        table.verticalHeader().hide()
        table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        table.resizeColumnsToContents()
        self.kappa_text = QLabel(self._kappa_tables(labels))
        self.kappa_text.setObjectName("kappaTables")
        self.kappa_text.setTextFormat(Qt.TextFormat.RichText)
        self.kappa_text.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                f"{len(report.compared_intervals)} of {report.grid_intervals} intervals compared "
                f"({report.interval_seconds} s grid); intervals either observer skipped or lost are left out. "
                "A dash means the figure is undefined (no interval to divide by)."
            )
        )
        layout.addWidget(table, 2)
        if report.events:
            counted = next(iter(report.events.values())).counted
            layout.addWidget(QLabel(f"Total counts compare the {counted}."))
        layout.addWidget(self.kappa_text, 1)

    def _kappa_tables(self, labels) -> str:
        parts = []
        for group, k in self.report.groups.items():
            value = f"κ = {k.kappa:.2f}" if k.kappa is not None else f"κ undefined: {k.reason}"
            if not k.categories:
                parts.append(f"<p><b>{group}</b>: {value}</p>")
                continue
            head = "".join(f"<th>{labels.get(c, c)}</th>" for c in k.categories)
            rows = "".join(
                f"<tr><th>{labels.get(c, c)}</th>" + "".join(f"<td align='center'>{n}</td>" for n in row) + "</tr>"
                for c, row in zip(k.categories, k.table)
            )
            parts.append(
                f"<p><b>{group}</b>: {value} (observer A down, B across)</p>"
                f"<table border='1' cellpadding='3' cellspacing='0'><tr><th></th>{head}</tr>{rows}</table>"
            )
        return "".join(parts)


class AbcDialog(QDialog):
    """An ABC incident: antecedent, behaviour, consequence."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("ABC incident")
        self.fields = [QLineEdit(), QLineEdit(), QLineEdit()]
        form = QFormLayout(self)
        for label, field in zip(
            ("Antecedent (what happened before)", "Behaviour", "Consequence (what happened after)"), self.fields
        ):
            form.addRow(label, field)
        ok = QPushButton("Record")
        ok.clicked.connect(self.accept)
        form.addRow(ok)

    def values(self) -> tuple[str, str, str]:
        return tuple(f.text().strip() for f in self.fields)


def start_observation(window, case: dict, clock=None) -> ObservationWindow | None:
    """Ask for the set-up, start recording into the store, and show the recording window."""
    from desktop.observation.library import SchemeLibrary

    dialog = setup_dialog(case, window, SchemeLibrary(window.store).all())
    result = window.run_dialog(dialog)
    if not result:
        return None
    setup, scheme = result
    repo = StoreObservationRepository(window.store)
    clock = clock or SystemClock()
    engine = ObservationEngine.start(setup, scheme, sink=repo.sink, clock=clock)
    return show_recording(window, engine, clock)


def resume_observation(window, observation_id: str, clock=None) -> ObservationWindow:
    repo = StoreObservationRepository(window.store)
    clock = clock or SystemClock()
    engine = ObservationEngine.resume(repo.events(observation_id), sink=repo.sink, clock=clock)
    return show_recording(window, engine, clock)


def open_observation(window, observation_id: str) -> ObservationWindow:
    """An ended or finalised observation: its strip and summary (and Finalise, if not yet)."""
    repo = StoreObservationRepository(window.store)
    clock = SystemClock()
    engine = ObservationEngine(repo.get(observation_id), repo.sink, clock)
    shown = show_recording(window, engine, clock)
    shown.show_ended()
    return shown


def show_recording(window, engine: ObservationEngine, clock) -> ObservationWindow:
    recording = ObservationWindow(engine, clock, window, StoreObservationRepository(window.store))
    recording.ended.connect(lambda _oid: window.refresh())
    if getattr(window, "sync", None) is not None:  # run the background sync held while recording
        recording.ended.connect(lambda _oid: window.sync.observation_ended())
    window.observation_windows.append(recording)
    recording.show()
    recording.activateWindow()
    return recording
