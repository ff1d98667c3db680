"""Audit templates: copy one and edit the copy (as the scheme editor does for coding
schemes) — areas and criteria added, removed and reordered, each criterion's kind, the
rating scale (values, keys, colours, presets), section judgement scales and guidance.

Thin over ``desktop.audits.editing``: every change a widget makes is one call on the
copy's ``TemplateDraft``; Save copy validates it with the pack loader (the rules every
pack obeys) and installs it, or shows the refusal naming each problem and writes
nothing. Built-in templates are shown read-only. Export / Import JSON… write a
template to a file and install one from a file (validated the same way).
"""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.audits.editing import (
    KINDS,
    NUMBER,
    PRESETS,
    RATED,
    Level,
    TemplateDraft,
    export_template,
    import_template,
    save_template,
    template_copy,
)
from desktop.audits.views import draft_areas, draft_criteria, draft_guidance, rates_with, template_entries
from desktop.forms.loader import PackError
from desktop.forms.registry import load_registry
from desktop.ui.audit_models import AreaList, DraftCriteriaModel, EntriesModel, GuidanceModel, LevelsModel, RowsView

CUSTOM = "custom"
PRESET_NAMES = {**{k: v[0] for k, v in PRESETS.items()}, CUSTOM: "Custom"}
OK_STYLE, REFUSED_STYLE = "color: #374151;", "color: #b91c1c;"


def _button(text: str, name: str, slot) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.clicked.connect(lambda _=False: slot())
    return b


class LevelsTable(RowsView):
    """Levels of a scale in order (lowest or rank 1 first), edited in place (``levels``, a
    ``LevelsModel``); ``read`` gives them back as ``Level``s."""

    def __init__(self, columns: tuple[str, ...], fields: tuple[str, ...], name: str):
        super().__init__()
        self.setObjectName(name)
        self.fields = fields  # Level attributes, one a column; any further columns are shown only
        self.levels = LevelsModel(columns, fields, self)
        self.setModel(self.levels)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)

    def show_levels(self, levels: list[Level], editable: bool, shown=()) -> None:
        self.levels.show_levels(levels, editable, shown)

    def read(self) -> list[Level]:
        return list(self.levels.rows)


class TemplateEditor(QDialog):
    """Left: every audit template; right: the chosen one, read-only if built in. "Make a
    copy" starts an editable copy; "Save copy" validates it and installs it."""

    def __init__(self, installed_dir: Path | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("auditTemplateEditor")
        self.setWindowTitle("Audit templates")
        room = self.screen().availableGeometry() if self.screen() else None
        self.resize(min(1180, room.width() - 40) if room else 1180, min(680, room.height() - 60) if room else 680)
        self.installed_dir = installed_dir
        self.draft: TemplateDraft | None = None
        self.editable = False
        self.saved_id: str | None = None
        self._filling = False

        self.templates = AreaList()
        self.templates_model = EntriesModel(self.templates)
        self.templates.setModel(self.templates_model)
        self.templates.setObjectName("templateList")
        self.templates.setAccessibleName("Audit templates")
        self.templates.setMaximumWidth(280)
        self.templates.currentRowChanged.connect(lambda _r: self.show_template())
        self.new_id = QLineEdit()
        self.new_id.setObjectName("copyId")
        self.new_id.setPlaceholderText("the copy's id, e.g. our-behaviour-audit")
        self.title = QLineEdit()
        self.title.setObjectName("copyTitle")
        self.version = QLineEdit()
        self.version.setObjectName("copyVersion")
        self.version.setMaximumWidth(120)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("templateTabs")
        self.tabs.addTab(self._areas_tab(), "Areas and criteria")
        self.tabs.addTab(self._rating_tab(), "Rating scale")
        self.tabs.addTab(self._judgement_tab(), "Section judgements")

        self.message = QLabel()
        self.message.setObjectName("templateMessage")
        self.message.setWordWrap(True)
        self.copy_button = _button("Make a copy", "copyTemplate", self.make_copy)
        self.export_button = _button("Export JSON…", "exportTemplate", self.export_json)
        self.import_button = _button("Import JSON…", "importTemplate", self.import_json)
        self.save_button = _button("Save copy", "saveTemplate", self.save)
        self.save_button.setDefault(True)
        header = QHBoxLayout()
        form = QFormLayout()
        form.addRow("Copy's id", self.new_id)
        form.addRow("Title", self.title)
        header.addLayout(form, 1)
        vform = QFormLayout()
        vform.addRow("Version", self.version)
        header.addLayout(vform)
        buttons = QHBoxLayout()
        for b in (self.copy_button, self.export_button, self.import_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        right = QVBoxLayout()
        right.addLayout(header)
        right.addWidget(self.tabs, 1)
        right.addWidget(self.message)
        right.addLayout(buttons)
        lay = QHBoxLayout(self)
        lay.addWidget(self.templates)
        lay.addLayout(right, 1)
        self.reload()

    # -- building the tabs ----------------------------------------------------------------
    def _areas_tab(self) -> QWidget:
        self.areas = AreaList()
        self.areas_model = EntriesModel(self.areas)
        self.areas.setModel(self.areas_model)
        self.areas.setObjectName("areas")
        self.areas.setAccessibleName("Areas of the template")
        self.areas.currentRowChanged.connect(lambda _r: self._show_area())
        self.area_label = QLineEdit()
        self.area_label.setObjectName("areaLabel")
        self.area_label.editingFinished.connect(self._area_label_edited)
        self.area_judgement = QComboBox()
        self.area_judgement.setObjectName("areaJudgement")
        self.area_judgement.activated.connect(lambda _i: self._area_judgement_chosen())
        self.area_guidance = QPlainTextEdit()
        self.area_guidance.setObjectName("areaGuidance")
        self.area_guidance.setPlaceholderText("Evidence of effective practice: one descriptor a line")
        self.area_guidance.setMaximumHeight(90)
        self.area_guidance.textChanged.connect(self._area_guidance_edited)
        self.area_buttons = [
            _button("Add area", "addArea", self.add_area),
            _button("Remove area", "removeArea", self.remove_area),
            _button("Up", "areaUp", lambda: self.move_area(-1)),
            _button("Down", "areaDown", lambda: self.move_area(1)),
        ]
        left = QVBoxLayout()
        left.addWidget(QLabel("Areas"))
        left.addWidget(self.areas, 1)
        grid = QGridLayout()
        for i, b in enumerate(self.area_buttons):
            grid.addWidget(b, i // 2, i % 2)
        left.addLayout(grid)
        area_form = QFormLayout()
        area_form.addRow("Area name", self.area_label)
        area_form.addRow("Judged on", self.area_judgement)
        area_form.addRow("Guidance", self.area_guidance)
        left.addLayout(area_form)

        self.table = RowsView()
        self.criteria = DraftCriteriaModel(self.table)
        self.table.setModel(self.criteria)
        self.table.setObjectName("templateItems")
        self.table.setAccessibleName("Criteria in this area")
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.criteria.text_edited.connect(self._criterion_edited)
        self.table.selectionModel().currentChanged.connect(lambda *_: self._show_criterion())
        self.kind = QComboBox()
        self.kind.setObjectName("criterionKind")
        self.kind.setAccessibleName("Kind of criterion")
        for key, text in KINDS.items():
            self.kind.addItem(text, key)
        self.kind.activated.connect(lambda _i: self._kind_chosen())
        self.unit = QLineEdit()
        self.unit.setObjectName("criterionUnit")
        self.unit.setAccessibleName("Unit")
        self.unit.setPlaceholderText("unit, e.g. % or £")
        self.unit.editingFinished.connect(self._kind_chosen)
        self.decimals = QSpinBox()
        self.decimals.setObjectName("criterionDecimals")
        self.decimals.setAccessibleName("Decimal places")
        self.decimals.setRange(0, 4)
        self.decimals.setSuffix(" decimal places")
        self.decimals.valueChanged.connect(lambda _v: self._kind_chosen())
        self.guidance = RowsView()
        self.guidance_model = GuidanceModel(self.guidance)
        self.guidance.setModel(self.guidance_model)
        self.guidance.setObjectName("criterionGuidance")
        self.guidance.setAccessibleName("Guidance for each rating")
        self.guidance.verticalHeader().hide()
        self.guidance.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.guidance.setMaximumHeight(130)
        self.guidance_model.descriptor_edited.connect(self._guidance_edited)
        self.criterion_buttons = [
            _button("Add criterion", "addCriterion", self.add_criterion),
            _button("Remove criterion", "removeCriterion", self.remove_criterion),
            _button("Up", "criterionUp", lambda: self.move_criterion(-1)),
            _button("Down", "criterionDown", lambda: self.move_criterion(1)),
        ]
        row = QHBoxLayout()
        for b in self.criterion_buttons:
            row.addWidget(b)
        row.addStretch(1)
        kind_row = QHBoxLayout()
        kind_row.addWidget(QLabel("Kind"))
        kind_row.addWidget(self.kind)
        kind_row.addWidget(self.unit)
        kind_row.addWidget(self.decimals)
        kind_row.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.table, 1)
        right.addLayout(row)
        right.addLayout(kind_row)
        right.addWidget(QLabel("Guidance for each rating (shown beside the criterion)"))
        right.addWidget(self.guidance)
        w = QWidget()
        lay = QHBoxLayout(w)
        lay.addLayout(left, 2)
        lay.addLayout(right, 5)
        return w

    def _rating_tab(self) -> QWidget:
        self.rating_preset = QComboBox()
        self.rating_preset.setObjectName("ratingPreset")
        for key, text in PRESET_NAMES.items():
            self.rating_preset.addItem(text, key)
        self.rating_preset.activated.connect(lambda _i: self._rating_preset_chosen())
        self.rating_label = QLineEdit()
        self.rating_label.setObjectName("ratingLabel")
        self.rating_label.editingFinished.connect(self._rating_edited)
        self.rating = LevelsTable(
            ("Value", "Label", "Key (one letter)", "Colour (#RRGGBB)", "Rates with"),
            ("value", "label", "key", "colour"),
            "ratingLevels",
        )
        self.rating.setAccessibleName("Rating levels, lowest first")
        self.rating.setToolTip(
            "Key and colour left blank: the first free letter of the label, and "
            "lowest red, highest green, amber between."
        )
        self.rating.levels.edited.connect(lambda: self._rating_edited(later=True))
        self.rating_buttons = [
            _button("Add level", "addRatingLevel", lambda: self._levels_add(self.rating, self._rating_edited)),
            _button("Remove level", "removeRatingLevel", lambda: self._levels_remove(self.rating, self._rating_edited)),
            _button("Up", "ratingUp", lambda: self._levels_move(self.rating, -1, self._rating_edited)),
            _button("Down", "ratingDown", lambda: self._levels_move(self.rating, 1, self._rating_edited)),
        ]
        form = QFormLayout()
        form.addRow("Start from", self.rating_preset)
        form.addRow("Scale's name", self.rating_label)
        note = QLabel(
            "Lowest level first. N (not seen) and X (not applicable) are always offered "
            "and never counted; 1, 2, 3… also rate by position."
        )
        note.setWordWrap(True)
        return self._levels_tab(form, note, self.rating, self.rating_buttons)

    def _judgement_tab(self) -> QWidget:
        self.judgement_scale = QComboBox()
        self.judgement_scale.setObjectName("judgementScales")
        self.judgement_scale.setAccessibleName("Judgement scale")
        self.judgement_scale.activated.connect(lambda _i: self._show_judgement())
        self.judgement_preset = QComboBox()
        self.judgement_preset.setObjectName("judgementPreset")
        for key, text in PRESETS.items():
            self.judgement_preset.addItem(text[0], key)
        self.judgement_label = QLineEdit()
        self.judgement_label.setObjectName("judgementLabel")
        self.judgement_label.editingFinished.connect(self._judgement_edited)
        self.judgement = LevelsTable(("Value", "Label"), ("value", "label"), "judgementLevels")
        self.judgement.setAccessibleName("Judgement levels, rank 1 first")
        self.judgement.levels.edited.connect(lambda: self._judgement_edited(later=True))
        self.judgement_buttons = [
            _button("Add level", "addJudgementLevel", lambda: self._levels_add(self.judgement, self._judgement_edited)),
            _button(
                "Remove level",
                "removeJudgementLevel",
                lambda: self._levels_remove(self.judgement, self._judgement_edited),
            ),
            _button("Up", "judgementUp", lambda: self._levels_move(self.judgement, -1, self._judgement_edited)),
            _button("Down", "judgementDown", lambda: self._levels_move(self.judgement, 1, self._judgement_edited)),
            _button("New scale", "newJudgementScale", self.new_judgement_scale),
            _button("Remove scale", "removeJudgementScale", self.remove_judgement_scale),
        ]
        form = QFormLayout()
        pick = QHBoxLayout()
        pick.addWidget(self.judgement_scale, 1)
        start_from = QLabel("New scale from")
        start_from.setBuddy(self.judgement_preset)
        pick.addWidget(start_from)
        pick.addWidget(self.judgement_preset)
        form.addRow("Judgement scale", pick)
        form.addRow("Scale's name", self.judgement_label)
        note = QLabel(
            "Rank 1 first; ranks follow the order. Each area chooses its scale on the Areas and criteria tab."
        )
        note.setWordWrap(True)
        return self._levels_tab(form, note, self.judgement, self.judgement_buttons)

    @staticmethod
    def _levels_tab(form, note, table, buttons) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.addLayout(form)
        lay.addWidget(note)
        lay.addWidget(table, 1)
        row = QHBoxLayout()
        for b in buttons:
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        return w

    # -- the list of templates ------------------------------------------------------------
    def reload(self, select: str | None = None) -> None:
        self.registry = load_registry(self.installed_dir)
        self.templates.blockSignals(True)
        self.templates_model.reset_rows(template_entries(self.registry))
        if select is not None and self.templates_model.row_of(select) >= 0:
            self.templates.setCurrentRow(self.templates_model.row_of(select))
        self.templates.blockSignals(False)
        if self.templates.currentRow() < 0 and self.templates.count():
            self.templates.setCurrentRow(0)
        self.show_template()

    def current_id(self) -> str | None:
        row = self.templates.currentRow()
        return self.templates_model.rows[row].id if row >= 0 else None

    def _origin(self, template_id: str) -> str:
        return next(
            (e.origin for e in self.registry.entries if e.id == template_id and not e.note.startswith("not used")),
            "installed",
        )

    def _editable(self, template_id: str) -> bool:
        """Only a copy installed on this laptop is edited in place: a built-in template,
        or one the service published on the server, is copied first."""
        return self._origin(template_id) == "installed"

    def show_template(self) -> None:
        tid = self.current_id()
        if tid is None:
            return
        editable = self._editable(tid)
        # An installed copy is edited in place; a built-in one only after "Make a copy".
        self.draft = TemplateDraft(template_copy(self.registry, tid, tid, self.registry.get(tid).title))
        self.new_id.setText(tid if editable else f"{tid}-copy")
        self.title.setText(self.registry.get(tid).title + ("" if editable else " (copy)"))
        self.version.setText(self.registry.get(tid).version)
        self._set_editable(editable)
        self._say(
            ""
            if editable
            else f"A {'template from the server' if self._origin(tid) == 'server' else 'built-in template'}: "
            "make a copy to change it."
        )

    def _set_editable(self, editable: bool) -> None:
        self.editable = editable
        for w in (
            *self.area_buttons,
            *self.criterion_buttons,
            *self.rating_buttons,
            *self.judgement_buttons,
            self.save_button,
            self.area_label,
            self.area_judgement,
            self.kind,
            self.unit,
            self.decimals,
            self.rating_preset,
            self.rating_label,
            self.judgement_label,
            self.judgement_preset,
        ):
            w.setEnabled(editable)
        self.area_guidance.setReadOnly(not editable)
        self._fill()

    def _say(self, text: str, refused: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(REFUSED_STYLE if refused else OK_STYLE)

    # -- showing the draft ----------------------------------------------------------------
    def _fill(self, area: str | None = None, criterion: str | None = None) -> None:
        d = self.draft
        self._filling = True
        keep = area or self.current_area()
        self.areas_model.reset_rows(draft_areas(d))
        ids = [s["id"] for s in d.sections()]
        self.areas.setCurrentRow(ids.index(keep) if keep in ids else 0 if ids else -1)
        self.rating_label.setText(d.rating_set().get("label", ""))
        self._show_rating(d.rating_levels())
        self.rating_preset.setCurrentIndex(self.rating_preset.findData(self._preset_of(d.rating_levels())))
        self._fill_judgement_scales()
        self._filling = False
        self._show_area(criterion)

    def _show_rating(self, levels: list[Level]) -> None:
        """The levels, and beside each the keys that rate with it in the audit window,
        painted in the colour it is shown in."""
        self.rating.show_levels(levels, self.editable, rates_with(levels))

    @staticmethod
    def _preset_of(levels: list[Level]) -> str:
        for key, (_label, preset) in PRESETS.items():
            if [(lv.value, lv.label) for lv in preset] == [(lv.value, lv.label) for lv in levels]:
                return key
        return CUSTOM

    def current_area(self) -> str | None:
        row = self.areas.currentRow()
        return self.areas_model.rows[row].id if row >= 0 else None

    def current_criterion(self) -> str | None:
        row = self.table.currentRow()
        return self.criteria.rows[row].criterion_id if row >= 0 else None

    def _show_area(self, criterion: str | None = None) -> None:
        if self._filling or self.draft is None:
            return
        sid = self.current_area()
        self._filling = True
        self.area_label.setText(self.draft.section(sid)["label"] if sid else "")
        self.area_judgement.clear()
        self.area_judgement.addItem("No judgement", None)
        for j in self.draft.judgement_scales():
            self.area_judgement.addItem(j["label"], j["id"])
        chosen = self.draft.section_judgement(sid) if sid else None
        self.area_judgement.setCurrentIndex(max(0, self.area_judgement.findData(chosen)))
        self.area_guidance.setPlainText("\n".join(self.draft.section_guidance(sid)) if sid else "")
        self.criteria.editable = self.editable
        self.criteria.reset_rows(draft_criteria(self.draft, sid))
        ids = [row.criterion_id for row in self.criteria.rows]
        self.table.setCurrentCell(ids.index(criterion) if criterion in ids else 0 if ids else -1, 1)
        self._filling = False
        self._show_criterion()

    def _show_criterion(self) -> None:
        if self._filling or self.draft is None:
            return
        cid = self.current_criterion()
        self._filling = True
        kind, unit = self.draft.criterion_kind(cid) if cid else (RATED, "")
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.unit.setText(unit)
        self.decimals.setValue(self.draft.criterion_decimals(cid) if cid and kind == NUMBER else 0)
        for w in (self.unit, self.decimals):
            w.setVisible(kind == NUMBER)
        levels = self.draft.rating_levels() if kind == RATED else []
        self.guidance_model.editable = self.editable
        self.guidance_model.reset_rows(draft_guidance(self.draft, cid, levels))  # names shown, values kept
        self._filling = False

    def _fill_judgement_scales(self, select: str | None = None) -> None:
        keep = select or self.judgement_scale.currentData()
        self.judgement_scale.clear()
        for j in self.draft.judgement_scales():
            self.judgement_scale.addItem(f"{j['label']} ({j['id']})", j["id"])
        i = self.judgement_scale.findData(keep)
        self.judgement_scale.setCurrentIndex(i if i >= 0 else 0)
        self._show_judgement()

    def _show_judgement(self) -> None:
        jid = self.judgement_scale.currentData()
        was, self._filling = self._filling, True
        self.judgement_label.setText(self.draft.judgement_scale(jid)["label"] if jid else "")
        self.judgement.show_levels(self.draft.judgement_levels(jid) if jid else [], self.editable)
        self._filling = was

    # -- edits: each is one call on the draft ---------------------------------------------
    def _edit(self, change, area: str | None = None, criterion: str | None = None, later: bool = False) -> None:
        """Make one change to the draft now and show the draft again (``later``: once the
        event in hand is over, when the change comes from a cell the refill replaces)."""
        if not self.editable or self.draft is None:
            return
        change()
        if later:
            QTimer.singleShot(0, lambda: self._fill(area, criterion) if self.draft is not None else None)
        else:
            self._fill(area, criterion)
        self._changed()

    def _changed(self) -> None:
        self._say("Changed, not yet saved: Save copy checks and installs it.")

    def add_area(self) -> None:
        n = len(self.draft.sections()) + 1
        sid = self.draft.add_section(f"New area {n}") if self.editable else None
        if sid:
            self._fill(sid)
            self._changed()
            self.area_label.setFocus()
            self.area_label.selectAll()

    def remove_area(self) -> None:
        sid = self.current_area()
        if sid:
            self._edit(lambda: self.draft.remove_section(sid))

    def move_area(self, delta: int) -> None:
        sid = self.current_area()
        if sid:
            self._edit(lambda: self.draft.move_section(sid, delta), sid)

    def _area_label_edited(self) -> None:
        sid = self.current_area()
        if self._filling or not sid or self.area_label.text() == self.draft.section(sid)["label"]:
            return
        self._edit(
            lambda: self.draft.rename_section(sid, self.area_label.text().strip()), sid, self.current_criterion()
        )

    def _area_judgement_chosen(self) -> None:
        sid = self.current_area()
        if not self._filling and sid:
            self._edit(
                lambda: self.draft.set_section_judgement(sid, self.area_judgement.currentData()),
                sid,
                self.current_criterion(),
            )

    def _area_guidance_edited(self) -> None:
        sid = self.current_area()
        if not self._filling and sid and self.editable:
            # no refill: the text box keeps its cursor while typing
            self.draft.set_section_guidance(sid, self.area_guidance.toPlainText().splitlines())
            self._changed()

    def add_criterion(self) -> None:
        sid = self.current_area()
        if not sid or not self.editable:
            return
        cid = self.draft.add_criterion(sid, f"New criterion {len(self.draft.criteria(sid)) + 1}")
        self._fill(sid, cid)
        self._changed()
        self.table.setFocus()
        self.table.edit(self.criteria.index(self.table.currentRow(), 1))

    def remove_criterion(self) -> None:
        cid = self.current_criterion()
        if cid:
            self._edit(lambda: self.draft.remove_criterion(cid), self.current_area())

    def move_criterion(self, delta: int) -> None:
        cid = self.current_criterion()
        if cid:
            self._edit(lambda: self.draft.move_criterion(cid, delta), self.current_area(), cid)

    def _criterion_edited(self, cid: str, text: str) -> None:
        if self._filling or not self.editable:
            return
        self.draft.set_criterion_text(cid, text.strip())
        self._changed()

    def _kind_chosen(self) -> None:
        cid = self.current_criterion()
        if self._filling or not cid:
            return
        kind = self.kind.currentData()
        self._edit(
            lambda: self.draft.set_criterion_kind(cid, kind, self.unit.text(), self.decimals.value()),
            self.current_area(),
            cid,
        )

    def _guidance_edited(self, value: str, text: str) -> None:
        cid = self.current_criterion()
        if self._filling or not cid or not self.editable:
            return
        self.draft.set_criterion_guidance(cid, value, text)
        self._changed()

    def _rating_edited(self, later: bool = False) -> None:
        if self._filling or not self.editable:
            return
        self._edit(
            lambda: self.draft.set_rating_levels(self.rating.read(), self.rating_label.text().strip()),
            self.current_area(),
            self.current_criterion(),
            later,
        )

    def _rating_preset_chosen(self) -> None:
        key = self.rating_preset.currentData()
        if key != CUSTOM:
            self._edit(lambda: self.draft.apply_rating_preset(key), self.current_area(), self.current_criterion())

    def _judgement_edited(self, later: bool = False) -> None:
        jid = self.judgement_scale.currentData()
        if self._filling or not self.editable or not jid:
            return
        self._edit(
            lambda: self.draft.set_judgement_levels(jid, self.judgement.read(), self.judgement_label.text().strip()),
            self.current_area(),
            self.current_criterion(),
            later,
        )

    def new_judgement_scale(self) -> None:
        if not self.editable:
            return
        jid = self.draft.add_judgement_scale(self.judgement_preset.currentData())
        self._fill(self.current_area(), self.current_criterion())
        self._fill_judgement_scales(jid)
        self._changed()

    def remove_judgement_scale(self) -> None:
        jid = self.judgement_scale.currentData()
        if jid:
            self._edit(lambda: self.draft.remove_judgement_scale(jid), self.current_area(), self.current_criterion())

    def _levels_add(self, table: LevelsTable, then) -> None:
        if not self.editable:
            return
        n = table.rowCount() + 1
        table.levels.add(Level(f"level_{n}", f"Level {n}"))
        then()

    def _levels_remove(self, table: LevelsTable, then) -> None:
        if self.editable and table.currentRow() >= 0:
            table.levels.remove(table.currentRow())
            then()

    def _levels_move(self, table: LevelsTable, delta: int, then) -> None:
        r = table.currentRow()
        if not self.editable or r < 0 or not 0 <= r + delta < table.rowCount():
            return
        levels = table.read()
        levels.insert(r + delta, levels.pop(r))
        table.show_levels(levels, True)
        then()
        table.setCurrentCell(r + delta, 0)

    # -- copy, save, export, import -------------------------------------------------------
    def make_copy(self) -> None:
        tid = self.current_id()
        if tid is None:
            return
        new_id = self.new_id.text().strip() or f"{tid}-copy"
        self.draft = TemplateDraft(template_copy(self.registry, tid, new_id, self.title.text().strip() or None))
        self._set_editable(True)
        self._say("A copy: change it, then Save copy.")

    def _header(self) -> dict:
        obj = copy.deepcopy(self.draft.obj)
        obj["id"] = self.new_id.text().strip()
        obj["title"] = self.title.text().strip()
        obj["version"] = self.version.text().strip()
        return obj

    def _refused(self, exc: PackError, what: str = "Not saved") -> None:
        self._say(f"{what} — " + "; ".join(exc.problems) + ". Nothing was changed.", refused=True)

    def save(self) -> None:
        if self.draft is None or not self.editable:
            self._say("Make a copy first.")
            return
        try:
            pack = save_template(self._header(), self.registry, self.installed_dir)
        except PackError as exc:
            self._refused(exc)
            return
        self.saved_id = pack.id
        self.reload(select=pack.id)
        self._say(f"Saved '{pack.title}' as installed template {pack.id}.")

    def export_json(self, path: str | None = None) -> None:
        if self.draft is None:
            return
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self,
                "Export template as JSON",
                f"{self.new_id.text().strip() or 'template'}.json",
                "Templates (*.json)",
            )
        if not path:
            return
        obj = self._header() if self.editable else self.draft.obj
        try:
            export_template(obj, Path(path))
        except PackError as exc:
            self._refused(exc, "Not exported")
            return
        except OSError as exc:
            self._say(f"Not exported: {exc.strerror or exc}.", refused=True)
            return
        self._say(f"Exported to {Path(path).name}.")

    def import_json(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Import a template", "", "Templates (*.json)")
        if not path:
            return
        try:
            pack = import_template(Path(path), self.registry, self.installed_dir)
        except PackError as exc:
            self._refused(exc, "Not imported")
            return
        self.saved_id = pack.id
        self.reload(select=pack.id)
        self._say(f"Imported '{pack.title}' as installed template {pack.id}.")


def install(window) -> None:
    """Schools ▸ Audit templates…"""

    def open_editor() -> None:
        window.template_editor = TemplateEditor(parent=window)
        window.template_editor.finished.connect(lambda _r: _refresh(window))
        window.template_editor.show()

    window.add_action("schools", "Audit &templates…", open_editor, None, "auditTemplates")


def _refresh(window) -> None:
    records = getattr(window, "audit_records", None)
    if records is not None:  # new templates are offered at once
        records._registry = None
        records._templates.clear()
