"""The caseload list: a table model over the store's referrals.

The whole caseload (10,000 referrals is ~2 MB) is read once per reload and
filtered in memory, so each keystroke of type-to-search costs a list scan,
not a query.

Columns keep their numbers (``PUPIL`` … ``UPN``); the view shows them in
``DEFAULT_ORDER`` with ``DEFAULT_HIDDEN`` hidden until the user chooses otherwise.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from desktop.caseload import CaseRow, Caseload
from desktop.caseload import vocab
from desktop.dates import to_uk, year_group_label
from desktop.ui.models import ColumnsModel

STATUS_COLOURS = {"new": "#b45309", "allocated": "#1d4ed8", "active": "#15803d", "closed": "#6b7280"}
_STATUS_QCOLOURS = {status: QColor(colour) for status, colour in STATUS_COLOURS.items()}
_OTHER_STATUS, _UNALLOCATED = QColor("#000000"), QColor("#9ca3af")
#: the status filter's value for every case not closed ("Open cases")
OPEN = "open"
PUPIL, YEAR, SCHOOL, STATUS, REASON, REFERRED, CASEWORKER, ALLOCATED, BORN, UPN = range(10)
#: how a new user sees the columns: the date of birth beside the name tells apart two pupils
#: called the same; the allocation date (in the case view) and the UPN are one click away
DEFAULT_ORDER = (PUPIL, BORN, YEAR, SCHOOL, STATUS, REASON, REFERRED, CASEWORKER, ALLOCATED, UPN)
DEFAULT_HIDDEN = frozenset({ALLOCATED, UPN})
#: the columns whose text can be longer than the column: they elide, the full text in a tooltip
ELIDING = frozenset({PUPIL, SCHOOL, REASON, CASEWORKER})


class CaseloadModel(ColumnsModel):
    """Rows are ``CaseRow``s; ``ReferralIdRole`` gives a row's referral id."""

    ReferralIdRole = Qt.ItemDataRole.UserRole + 1
    StatusRole = Qt.ItemDataRole.UserRole + 2
    _ROLES = frozenset(
        {
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ForegroundRole,
            Qt.ItemDataRole.ToolTipRole,
            ReferralIdRole,
            StatusRole,
        }
    )
    COLUMNS = ("Pupil", "Year", "School", "Status", "Reason", "Referred", "Caseworker", "Allocated", "Born", "UPN")
    # what each column sorts by (ISO dates and numbers sort correctly; labels do not)
    _SORT_KEYS = (
        lambda r: r.pupil_name.lower(),
        lambda r: (r.year_group is None, r.year_group or 0),
        lambda r: r.school_name.lower(),
        lambda r: list(vocab.REFERRAL_STATUSES).index(r.status),
        lambda r: r.reason,
        lambda r: r.referral_date,
        lambda r: (r.caseworker_name or "~").lower(),
        lambda r: r.allocated_on or "",
        lambda r: r.date_of_birth or "",
        lambda r: r.upn or "",
    )

    def __init__(self, caseload: Caseload, parent=None):
        super().__init__(parent)
        self.caseload = caseload
        self._all: list[CaseRow] = []
        self._hay: list[str] = []
        self._shown: list[int] = []
        self._display_cache: dict[str, tuple] = {}
        self._years: set[str] = set()
        self.text = ""
        self.status: str | None = None
        self.school_id: str | None = None
        self.caseworker_id: str | None = None

    # -- loading and filtering ------------------------------------------------------------
    def reload(self) -> None:
        self._all = self.caseload.caseload()
        self._display_cache: dict[str, tuple] = {}
        self._hay = [f"{r.pupil_name} {r.school_name}".lower() for r in self._all]
        self._years = {year_group_label(r.year_group) for r in self._all} - {""}
        self._refilter()

    def year_labels(self) -> set[str]:
        """The year groups the caseload holds, as shown ("Reception", "Year 6")."""
        return self._years

    @property
    def total(self) -> int:
        return len(self._all)

    def set_filter(
        self,
        *,
        text: str | None = None,
        status: str | None = ...,
        school_id: str | None = ...,
        caseworker_id: str | None = ...,
    ) -> None:
        """Change any of the filters; ``...`` leaves one as it is, ``None`` clears it."""
        if text is not None:
            self.text = text
        if status is not ...:
            self.status = status
        if school_id is not ...:
            self.school_id = school_id
        if caseworker_id is not ...:
            self.caseworker_id = caseworker_id
        self._refilter()

    def _refilter(self) -> None:
        rows, hay = self._all, self._hay
        shown = range(len(rows))
        for term in self.text.lower().split():  # each term narrows the last one's matches
            shown = [i for i in shown if term in hay[i]]
        shown = list(shown)
        if self.status == OPEN:
            shown = [i for i in shown if rows[i].status != "closed"]
        elif self.status:
            shown = [i for i in shown if rows[i].status == self.status]
        if self.school_id:
            shown = [i for i in shown if rows[i].school_id == self.school_id]
        if self.caseworker_id:
            shown = [i for i in shown if rows[i].caseworker_id == self.caseworker_id]
        self.beginResetModel()
        self._shown = shown
        self.endResetModel()

    def row_for(self, referral_id: str) -> int | None:
        for n, i in enumerate(self._shown):
            if self._all[i].referral_id == referral_id:
                return n
        return None

    # -- Qt model interface --------------------------------------------------------------------
    def row_count(self) -> int:
        return len(self._shown)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        # The view asks for many roles per cell on every repaint; answer the common
        # "nothing" cases before touching the row.
        if role not in self._ROLES or not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(index.row(), index.column())[0]
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.cell(index.row(), index.column())[1]
        r = self._all[self._shown[index.row()]]
        col = index.column()
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._display(r)[col] if col in ELIDING else None
        if role == self.ReferralIdRole:
            return r.referral_id
        return r.status  # StatusRole

    def cell(self, row: int, col: int) -> tuple[str, QColor | None]:
        """What a cell shows: its text and its colour (None: the usual text colour). The list
        paints from this directly (``caseload_table``), one call a cell instead of a call a role."""
        r = self._all[self._shown[row]]
        if col == STATUS:
            colour = _STATUS_QCOLOURS.get(r.status, _OTHER_STATUS)
        elif col == CASEWORKER and not r.caseworker_id:
            colour = _UNALLOCATED
        else:
            colour = None
        return self._display(r)[col], colour

    def _display(self, r: CaseRow) -> tuple:
        shown = self._display_cache.get(r.referral_id)
        if shown is None:
            shown = self._display_cache[r.referral_id] = (
                r.pupil_name,
                year_group_label(r.year_group),
                r.school_name,
                vocab.REFERRAL_STATUSES.get(r.status, r.status),
                vocab.REFERRAL_REASONS.get(r.reason, r.reason),
                to_uk(r.referral_date),
                r.caseworker_name or "Unallocated",
                to_uk(r.allocated_on),
                to_uk(r.date_of_birth),
                r.upn or "",
            )
        return shown

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        self._all.sort(key=self._SORT_KEYS[column], reverse=order == Qt.SortOrder.DescendingOrder)
        self._hay = [f"{r.pupil_name} {r.school_name}".lower() for r in self._all]
        self._refilter()
