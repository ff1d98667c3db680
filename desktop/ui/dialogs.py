"""Create/edit dialogs for casework records.

``RecordDialog`` lays out typed fields and calls ``save(values)``; a
``ValidationError`` keeps the dialog open with each problem shown beside its
field, so nothing typed is lost.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.caseload import vocab
from desktop.store import ValidationError
from sync.client.permissions import refusal

_BLANK_DATE = QDate(1900, 1, 1)
_ERROR_STYLE = "border: 1px solid #b91c1c;"


class RecordDialog(QDialog):
    """A form of named fields; ``save`` is called with their values on OK."""

    def __init__(
        self, title: str, save: Callable[[dict], Any], parent: QWidget | None = None, *, today: date | None = None
    ):
        super().__init__(parent)
        # Dates default to the caseload's today (which is what its validation compares
        # with), not the clock's.
        self.today = today or date.today()
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self._save = save
        self.result_value: Any = None
        self.read_only_reason: str | None = None
        self.fields: dict[str, QWidget] = {}
        self._getters: dict[str, Callable[[], Any]] = {}
        self._setters: dict[str, Callable[[Any], None]] = {}
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        # where a field and its label will not fit side by side (large text, a small screen),
        # the field goes under its label rather than being cut off
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.errors = QLabel()
        self.errors.setObjectName("errors")
        self.errors.setWordWrap(True)
        self.errors.setStyleSheet("color: #b91c1c;")
        self.errors.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)

    def showEvent(self, event) -> None:
        if not event.spontaneous():
            from desktop.ui import window_state

            window_state.grow_to_contents(self)  # long choices and large text: whole
        super().showEvent(event)

    # -- building -------------------------------------------------------------------------
    def _add(self, name: str, label: str, widget: QWidget, get, put) -> QWidget:
        widget.setObjectName(name)
        self.form.addRow(label, widget)
        self.fields[name], self._getters[name], self._setters[name] = widget, get, put
        return widget

    def add_text(self, name: str, label: str, placeholder: str = "") -> QLineEdit:
        w = QLineEdit()
        w.setPlaceholderText(placeholder)
        return self._add(
            name, label, w, lambda: w.text().strip() or None, lambda v: w.setText("" if v is None else str(v))
        )

    def add_notes(self, name: str, label: str, placeholder: str = "") -> QPlainTextEdit:
        w = QPlainTextEdit()
        w.setPlaceholderText(placeholder)
        w.setTabChangesFocus(True)
        w.setMinimumHeight(70)
        return self._add(name, label, w, lambda: w.toPlainText().strip() or None, lambda v: w.setPlainText(v or ""))

    def add_choice(self, name: str, label: str, choices: dict, blank: str | None = None) -> QComboBox:
        w = QComboBox()
        if blank is not None:
            w.addItem(blank, None)
        for value, text in choices.items():
            w.addItem(text, value)

        def put(v):
            i = w.findData(v)
            w.setCurrentIndex(max(i, 0))

        return self._add(name, label, w, lambda: w.currentData(), put)

    def add_date(self, name: str, label: str, default: date | None = None, optional: bool = False) -> QDateEdit:
        w = QDateEdit()
        w.setCalendarPopup(True)
        w.setDisplayFormat("dd/MM/yyyy")
        if optional:
            w.setMinimumDate(_BLANK_DATE)
            w.setSpecialValueText("not known")
        w.setDate(QDate(default or self.today) if default or not optional else _BLANK_DATE)

        def get():
            d = w.date()
            return None if optional and d == _BLANK_DATE else d.toPython().isoformat()

        def put(v):
            w.setDate(QDate(date.fromisoformat(v)) if v else (_BLANK_DATE if optional else QDate(self.today)))

        return self._add(name, label, w, get, put)

    def add_check(self, name: str, label: str) -> QCheckBox:
        w = QCheckBox()
        return self._add(name, label, w, lambda: int(w.isChecked()), lambda v: w.setChecked(bool(v)))

    def add_number(self, name: str, label: str, maximum: int = 99) -> QSpinBox:
        w = QSpinBox()
        w.setRange(0, maximum)
        return self._add(name, label, w, w.value, lambda v: w.setValue(int(v or 0)))

    def set_read_only(self, reason: str) -> None:
        """Show the record but allow no change: every field and Save disabled, with the
        reason (in the user's words) above the buttons and as each one's tooltip."""
        self.read_only_reason = reason
        for w in self.fields.values():
            w.setEnabled(False)
            w.setToolTip(reason)
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setEnabled(False)
        save.setToolTip(reason)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Close")
        self.errors.setText(reason)
        self.errors.setStyleSheet("color: #374151;")
        self.errors.show()

    # -- values ------------------------------------------------------------------------------
    def values(self) -> dict:
        return {name: get() for name, get in self._getters.items()}

    def set_values(self, values: dict) -> None:
        for name, value in values.items():
            if name in self._setters:
                self._setters[name](value)

    def try_save(self) -> None:
        if self.read_only_reason:
            return
        for w in self.fields.values():
            w.setStyleSheet("")
            w.setAccessibleDescription("")
        try:
            self.result_value = self._save(self.values())
        except ValidationError as exc:
            for field, problem in exc.problems.items():
                if field in self.fields:  # the red frame, and in words for a screen reader
                    self.fields[field].setStyleSheet(_ERROR_STYLE)
                    self.fields[field].setAccessibleDescription(problem)
            self.errors.setText("\n".join(exc.problems.values()))
            self.errors.show()
            first = next((self.fields[f] for f in exc.problems if f in self.fields), None)
            if first:
                first.setFocus()
            return
        self.accept()


# -- the dialogs ---------------------------------------------------------------------------------
def school_dialog(caseload, parent=None, school: dict | None = None) -> RecordDialog:
    def save(v):
        if school:
            return caseload.update_school(school["id"], **v)
        return caseload.add_school(**v)

    d = RecordDialog("Edit school" if school else "New school", save, parent, today=caseload.today)
    d.add_text("name", "Name", "e.g. Hollowmere Primary School")
    d.add_text("urn", "URN", "6 or 7 digits")
    d.add_choice("phase", "Phase", vocab.SCHOOL_PHASES, blank="—")
    d.add_choice("governance", "Maintained or academy", vocab.GOVERNANCE, blank="—")
    d.add_text("area", "Area / locality")
    d.add_text("phone", "Phone")
    if school:
        d.set_values(school)
        # Who may change a school (sync.permissions): read-only, saying why, for others.
        reason = refusal(caseload.store, "school", "update", school["id"])
        if reason:
            d.set_read_only(reason)
    return d


def pupil_dialog(caseload, parent=None, pupil: dict | None = None, school_id: str | None = None) -> RecordDialog:
    def save(v):
        if pupil:
            return caseload.update_pupil(pupil["id"], **v)
        return caseload.add_pupil(**v)

    d = RecordDialog("Edit pupil" if pupil else "New pupil", save, parent, today=caseload.today)
    d.add_text("first_name", "First name")
    d.add_text("last_name", "Last name")
    d.add_choice("school_id", "School", {s["id"]: s["name"] for s in caseload.schools()}, blank="Choose a school…")
    d.add_date("date_of_birth", "Date of birth", optional=True)
    d.add_choice("year_group", "Year group", vocab.YEAR_GROUPS, blank="—")
    d.add_choice("gender", "Gender", vocab.GENDERS, blank="—")
    d.add_choice("sen", "SEN", vocab.SEN_STATUS)
    d.add_check("fsm", "Free school meals")
    d.add_check("pupil_premium", "Pupil premium")
    d.add_check("eal", "English as an additional language")
    d.add_check("looked_after", "Looked after (LAC)")
    d.set_values(pupil or {"school_id": school_id})
    return d


def referral_dialog(caseload, parent=None, pupil_id: str | None = None) -> RecordDialog:
    """A new referral for an existing pupil (the pupil's school is the referring school)."""
    pupils = {p["id"]: p for p in caseload.pupils()}
    schools = {s["id"]: s["name"] for s in caseload.schools()}

    def save(v):
        pupil = pupils.get(v.get("pupil_id"))
        return caseload.add_referral(school_id=pupil["school_id"] if pupil else None, **v)

    d = RecordDialog("New referral", save, parent, today=caseload.today)
    d.add_choice(
        "pupil_id",
        "Pupil",
        {
            pid: f"{p['last_name']}, {p['first_name']} — {schools.get(p['school_id'], '')}"
            for pid, p in sorted(pupils.items(), key=lambda kv: (kv[1]["last_name"], kv[1]["first_name"]))
        },
        blank="Choose a pupil…",
    )
    d.fields["pupil_id"].setEditable(True)  # type to find a pupil among hundreds
    d.fields["pupil_id"].setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    d.add_date("referral_date", "Referral date")
    d.add_choice("reason", "Reason", vocab.REFERRAL_REASONS, blank="Choose a reason…")
    d.add_choice("source", "Referred by", vocab.REFERRAL_SOURCES)
    d.add_notes("concern", "Concern", "What the school describes")
    d.add_number("fixed_exclusions_before", "Fixed-term exclusions so far")
    d.add_number("permanent_exclusions_before", "Permanent exclusions so far")
    if pupil_id:
        d.set_values({"pupil_id": pupil_id})
    return d


def edit_referral_dialog(caseload, referral_id: str, parent=None) -> RecordDialog:
    """The referral's own facts; status and allocation change through their own commands."""
    d = RecordDialog(
        "Edit referral", lambda v: caseload.update_referral(referral_id, **v), parent, today=caseload.today
    )
    d.add_date("referral_date", "Referral date")
    d.add_choice("reason", "Reason", vocab.REFERRAL_REASONS)
    d.add_choice("source", "Referred by", vocab.REFERRAL_SOURCES, blank="—")
    d.add_notes("concern", "Concern")
    d.add_number("fixed_exclusions_before", "Fixed-term exclusions before referral")
    d.add_number("permanent_exclusions_before", "Permanent exclusions before referral")
    d.set_values(caseload.store.get("referral", referral_id))
    return d


def allocate_dialog(caseload, referral_id: str, parent=None) -> RecordDialog:
    d = RecordDialog(
        "Allocate referral",
        lambda v: (
            caseload.allocate(referral_id, v["caseworker_id"], date.fromisoformat(v["allocated_on"]))
            if v["caseworker_id"]
            else _missing("caseworker_id", "Choose a caseworker.")
        ),
        parent,
        today=caseload.today,
    )
    d.add_choice(
        "caseworker_id",
        "Caseworker",
        {c["id"]: c["name"] for c in caseload.caseworkers()},
        blank="Choose a caseworker…",
    )
    d.add_date("allocated_on", "Allocated on")
    current = caseload.store.get("referral", referral_id)
    if current and current["caseworker_id"]:
        d.set_values({"caseworker_id": current["caseworker_id"]})
    return d


def visit_dialog(caseload, referral_id: str, parent=None, visit: dict | None = None) -> RecordDialog:
    def save(v):
        if visit:
            return caseload.update_visit(visit["id"], **v)
        return caseload.add_visit(referral_id, v.pop("visit_date"), v.pop("visit_type"), **v)

    d = RecordDialog("Edit visit" if visit else "Add visit", save, parent, today=caseload.today)
    d.add_date("visit_date", "Date")
    d.add_choice("visit_type", "Type", vocab.VISIT_TYPES)
    d.add_text("attendees", "Attendees", "e.g. class teacher, SENCo, parent/carer")
    d.add_notes("notes", "Notes")
    d.add_notes("recommendations", "Recommendations given")
    if visit:
        d.set_values(visit)
    return d


def close_dialog(caseload, referral_id: str, parent=None) -> RecordDialog:
    def save(v):
        if not v["outcome"]:
            _missing("outcome", "Choose the outcome the case closed with.")
        return caseload.close(referral_id, v.pop("outcome"), date.fromisoformat(v.pop("closed_on")), **v)

    d = RecordDialog("Close case", save, parent, today=caseload.today)
    d.add_choice("outcome", "Outcome", vocab.CLOSURE_OUTCOMES, blank="Choose an outcome…")
    d.add_date("closed_on", "Closed on")
    d.add_number("fixed_exclusions_after", "Fixed-term exclusions since referral")
    d.add_number("permanent_exclusions_after", "Permanent exclusions since referral")
    return d


def support_plan_dialog(caseload, referral_id: str, parent=None) -> RecordDialog:
    def save(v):
        review = v.pop("first_review")
        return caseload.add_support_plan(referral_id, v.pop("start_date"), review_dates=[review] if review else [], **v)

    d = RecordDialog("New Pastoral Support Plan", save, parent, today=caseload.today)
    d.add_date("start_date", "Starts")
    d.add_date("first_review", "First review", optional=True)
    d.add_notes("targets", "Targets")
    d.add_notes("strategies", "Strategies")
    d.add_notes("parent_involvement", "Parent / carer involvement")
    return d


def call_dialog(caseload, parent=None, referral: dict | None = None) -> RecordDialog:
    def save(v):
        return caseload.log_call(v.pop("call_date"), v.pop("topic") or "", **v)

    d = RecordDialog("Log a helpline call", save, parent, today=caseload.today)
    d.add_date("call_date", "Date")
    d.add_text("caller", "Caller")
    d.add_choice("caller_role", "Caller's role", vocab.CALLER_ROLES, blank="—")
    d.add_choice("school_id", "School", {s["id"]: s["name"] for s in caseload.schools()}, blank="—")
    d.add_text("topic", "Topic")
    d.add_notes("advice", "Advice given")
    d.add_choice("outcome", "Outcome", vocab.CALL_OUTCOMES, blank="—")
    if referral:
        d.set_values({"school_id": referral["school_id"]})
        d._getters["referral_id"] = lambda: referral["id"]
    return d


def _missing(field: str, message: str):
    raise ValidationError({field: message})
