"""The weekly allocation board (no Qt): the queue of new referrals, each caseworker's open
caseload, and the rule that suggests who fits a referral.

Team leads "review new referrals every week and allocate each to a caseworker on the nature of
the concern and specialist knowledge of the practitioner as well as geographical location", and
the service reports that all are "allocated within 2 weeks".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

from desktop.caseload.service import Caseload

# "All allocated within 2 weeks": amber is the warning a few days before the target is missed.
AMBER_DAYS = 10
RED_DAYS = 14
OPEN_STATUSES = ("allocated", "active")

# -- the match rule ------------------------------------------------------------------------------
# A caseworker matches a referral on two counts, shown as the hint and used to order the list:
#   1. area: the caseworker's area is the referring school's area (ignoring case and spaces);
#   2. specialism: a word of one of their specialisms is among the referral's topic words, which
#      are the words listed for its reason below plus the words for the pupil's phase.
# Same area ranks first (travel is what a wrong guess costs every visit), then the number of
# specialisms that match, then the lighter open caseload. The words are kept few and specific
# ("behaviour" would match almost every specialism); an unknown reason or phase adds none.
REASON_TOPICS: dict[str, frozenset[str]] = {
    reason: frozenset(words.split())
    for reason, words in {
        "persistent_disruption": "disruption disruptive semh exclusion",
        "physical_assault_pupil": "assault aggression violence anger semh exclusion",
        "physical_assault_adult": "assault aggression violence anger semh exclusion",
        "verbal_abuse_pupil": "verbal aggression anger semh exclusion",
        "verbal_abuse_adult": "verbal aggression anger semh exclusion",
        "racist_incident": "racism racist equality diversity hate",
        "bullying": "bullying friendships relationships",
        "damage": "damage aggression anger semh",
        "attendance": "attendance absence parental",
        "social_interaction": "social interaction communication autism asc asd friendships",
        "emotional_wellbeing": "emotional wellbeing mental anxiety semh attachment bereavement trauma",
        "other": "",
    }.items()
}
PHASE_TOPICS: dict[str, frozenset[str]] = {
    phase: frozenset(words.split())
    for phase, words in {
        "early_years": "early years eyfs",
        "primary": "primary",
        "secondary": "secondary",
        "special": "special sen send",
        "ap": "alternative provision pru",
    }.items()
}


def pupil_phase(school_phase: str | None, year_group: int | None) -> str | None:
    """The phase a referral is about: Nursery and Reception pupils are early years wherever they
    are taught; otherwise the school's phase, or (all-through or unknown) the year group's."""
    if year_group is not None and year_group <= 0:
        return "early_years"
    if school_phase in ("primary", "secondary", "special", "ap"):
        return school_phase
    if school_phase == "nursery":
        return "early_years"
    if year_group is not None:
        return "primary" if year_group <= 6 else "secondary"
    return None


def topic_words(reason: str, school_phase: str | None, year_group: int | None) -> frozenset[str]:
    """The words a specialism is matched against for a referral (see the rule above)."""
    return REASON_TOPICS.get(reason, frozenset()) | PHASE_TOPICS.get(
        pupil_phase(school_phase, year_group) or "", frozenset()
    )


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _same_area(a: str | None, b: str | None) -> bool:
    return bool(a and b and " ".join(a.lower().split()) == " ".join(b.lower().split()))


@dataclass(frozen=True)
class Match:
    """How one caseworker fits one referral."""

    same_area: bool = False
    specialisms: tuple[str, ...] = ()  # the caseworker's specialisms that match, as they wrote them

    @property
    def rank(self) -> tuple[int, int]:
        """Higher is better: same area first, then how many specialisms match."""
        return int(self.same_area), len(self.specialisms)

    @property
    def hint(self) -> str:
        """Why this caseworker fits, in words: "Same area · SEMH · Autism"."""
        return " · ".join((["Same area"] if self.same_area else []) + list(self.specialisms))


# -- the board: what the screen shows, read from the store -----------------------------------------
@dataclass(frozen=True)
class QueuedReferral:
    """A new (unallocated) referral waiting in the queue."""

    referral_id: str
    referral_date: str
    days_waiting: int
    pupil_name: str
    year_group: int | None
    school_name: str
    school_area: str | None
    school_phase: str | None
    reason: str

    @property
    def topics(self) -> frozenset[str]:
        """The words specialisms are matched against: the reason, phase and year group."""
        return topic_words(self.reason, self.school_phase, self.year_group)


@dataclass(frozen=True)
class CaseworkerLoad:
    """A caseworker who can take cases, with their open caseload (allocated + active)."""

    caseworker_id: str
    name: str
    area: str | None
    specialisms: tuple[str, ...]
    open_cases: int

    def match(self, referral: QueuedReferral) -> Match:
        """How well this caseworker fits the referral: same area, and which specialisms match."""
        topics = referral.topics
        return Match(
            _same_area(self.area, referral.school_area), tuple(s for s in self.specialisms if _words(s) & topics)
        )


def _specialisms(raw: str | None) -> tuple[str, ...]:
    """Stored as a JSON list; a hand-typed "a, b" from an older record still reads."""
    try:
        value = json.loads(raw or "[]")
    except ValueError:
        value = (raw or "").split(",")
    if isinstance(value, str):
        value = [value]
    return tuple(str(s).strip() for s in value if str(s).strip())


def week_start(day: date) -> date:
    """The Monday of ``day``'s week: "this week" on the screen is Monday to today."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class AllocationBoard:
    """The queue, the caseworkers and the week's figures, as of ``today``."""

    today: date
    queue: tuple[QueuedReferral, ...]
    caseworkers: tuple[CaseworkerLoad, ...]
    allocated_this_week: int

    @classmethod
    def load(cls, caseload: Caseload) -> "AllocationBoard":
        """Read the queue of new referrals, the caseworkers' open caseloads and this week's
        allocations from the store (administrators hold no cases and are left out)."""
        today = caseload.today
        rows = caseload.caseload()
        schools = {s["id"]: s for s in caseload.schools()}
        queue = sorted(
            (
                QueuedReferral(
                    r.referral_id,
                    r.referral_date,
                    (today - date.fromisoformat(r.referral_date)).days,
                    r.pupil_name,
                    r.year_group,
                    r.school_name,
                    schools.get(r.school_id, {}).get("area"),
                    schools.get(r.school_id, {}).get("phase"),
                    r.reason,
                )
                for r in rows
                if r.status == "new"
            ),
            key=lambda q: (q.referral_date, q.pupil_name.lower(), q.referral_id),
        )
        open_counts: dict[str, int] = {}
        for r in rows:
            if r.status in OPEN_STATUSES and r.caseworker_id:
                open_counts[r.caseworker_id] = open_counts.get(r.caseworker_id, 0) + 1
        monday = week_start(today).isoformat()
        this_week = sum(
            1 for r in rows if r.status != "new" and r.allocated_on and monday <= r.allocated_on <= today.isoformat()
        )
        workers = tuple(
            CaseworkerLoad(c["id"], c["name"], c["area"], _specialisms(c["specialisms"]), open_counts.get(c["id"], 0))
            for c in caseload.caseworkers()
            if c["role"] != "admin"
        )  # administrators hold no cases
        return cls(today, tuple(queue), workers, this_week)

    @property
    def overdue(self) -> int:
        """How many new referrals have waited past the 2-week target (``RED_DAYS``)."""
        return sum(1 for q in self.queue if q.days_waiting >= RED_DAYS)

    def summary(self) -> str:
        """The line above the lists: N new, oldest waiting D days, M allocated this week."""
        week = f"{self.allocated_this_week} allocated this week"
        if not self.queue:
            return f"No new referrals · {week}"
        parts = [f"{len(self.queue)} new", f"oldest waiting {days_text(self.queue[0].days_waiting)}"]
        if self.overdue:
            parts.append(f"{self.overdue} past the 2-week target")
        return " · ".join(parts + [week])


def days_text(n: int) -> str:
    """ "1 day" or "N days"."""
    return f"{n} day" if n == 1 else f"{n} days"


def waiting_text(n: int) -> str:
    """How long a new referral has waited, with the word its colour stands for (colour is
    never the only signal): "3 days", "10 days · due soon" (from ``AMBER_DAYS``),
    "14 days · overdue" (from ``RED_DAYS``, the 2-week allocation target)."""
    flag = " · overdue" if n >= RED_DAYS else " · due soon" if n >= AMBER_DAYS else ""
    return days_text(n) + flag


# -- Qt models -------------------------------------------------------------------------------------
