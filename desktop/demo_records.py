"""Demo observations and outcome measures, recorded the way the app records them (no Qt).

Observations are played through the real ``ObservationEngine`` on a ``ScriptedClock``
set to the visit's morning, with the store's sink, so each one's event log is
genuine (prompts, codes, notes, lesson phases, an ABC incident, end, finalise).
SDQs (teacher, T1/T2/T3) and a Boxall Profile are started, answered and
finalised through ``FormRecords``. Only a handful of cases get them, so
``fieldnote demo`` stays fast.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

from desktop.forms.records import FormRecords
from desktop.forms.scoring import plan_for
from desktop.observation import ObservationEngine, ObservationSetup, minute_intervals
from desktop.observation.store_repository import StoreObservationRepository

# how many cases get a finished observation / outcome measures
OBSERVED_CASES = 6
MEASURED_CASES = 6
SDQ_PACK, BOXALL_PACK = "sdq-teacher-4-17", "boxall-synthetic"
# days after the first visit at which each SDQ is taken
SDQ_DAYS = {"T1": 0, "T2": 42, "T3": 98}

LESSONS = [
    ("Maths", "Mr Hale"),
    ("English", "Ms Oduya"),
    ("Science", "Mrs Penrose"),
    ("Topic", "Miss Carver"),
    ("PE", "Mr Daly"),
    ("Art", "Ms Ibe"),
]
PHASES = [(0, "Carpet input"), (12, "Independent work"), (24, "Plenary")]
CONTEXT_BY_PHASE = {"Carpet input": "TWC", "Independent work": "IND", "Plenary": "TWC"}


class ScriptedClock:
    """The clock a demo lesson is played on: it moves only as the script advances it
    (monotonic and wall readings together), so a 30-minute lesson records in a moment."""

    def __init__(self, wall: float, monotonic: float = 1000.0) -> None:
        self._mono = monotonic
        self._wall = wall

    def monotonic(self) -> float:
        return self._mono

    def wall(self) -> float:
        return self._wall

    def advance(self, seconds: float) -> None:
        self._mono += seconds
        self._wall += seconds


def _wall(day: date, hour: int = 9, minute: int = 30) -> float:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.utc).timestamp()


def record_observation(
    store, referral: dict, pupil: dict, school: dict, day: date, rng: random.Random, minutes: int = 30
) -> str:
    """Play one finished lesson observation through the engine; returns its id."""
    repo = StoreObservationRepository(store)
    scheme = minute_intervals()
    lesson, teacher = rng.choice(LESSONS)
    clock = ScriptedClock(wall=_wall(day))
    setup = ObservationSetup(
        case_id=referral["id"],
        pupil=f"{pupil['first_name']} {pupil['last_name']}",
        school=school["name"],
        lesson=lesson,
        teacher=teacher,
        setting="Classroom",
        class_size=rng.randint(22, 30),
        adults_present=rng.randint(1, 3),
        interval_seconds=60,
        planned_duration_seconds=minutes * 60,
    )
    engine = ObservationEngine.start(setup, scheme, sink=repo.sink, clock=clock)
    on_task = rng.uniform(0.45, 0.75)
    off = ["OFF-P", "OFF-V", "OFF-M", "DIS"]
    incident = rng.randint(14, 22)
    for minute in range(minutes):
        for start, label in PHASES:
            if minute == start:
                engine.mark_phase(label)
                context = CONTEXT_BY_PHASE[label]
        clock.advance(20)
        if minute == incident:
            behaviour = "DIS"
            engine.record_abc(
                "Asked to start the written task independently.",
                "Pushed the worksheet off the table and shouted at a classmate.",
                "Teaching assistant offered the calm-down space; returned after four minutes.",
            )
            engine.set_note("Incident during independent writing; see the ABC record.")
        elif minute == 3:
            behaviour = "ON"
            engine.set_note("Settled quickly once sat near the teacher.")
        else:
            behaviour = "ON" if rng.random() < on_task else rng.choice(off)
        engine.set_code(behaviour, True)
        engine.set_code(context, True)
        clock.advance(40)
        engine.poll()
    if engine.observation.status == "recording":  # the planned duration ends it on time
        engine.end()
    engine.finalise()
    return engine.observation.id


def _answer_form(
    records: FormRecords,
    completion_id: str,
    pack_id: str,
    informant: str,
    age_band: str,
    level: float,
    rng: random.Random,
) -> None:
    """Answer every scored item; ``level`` (0..1) is how much difficulty the answers show."""
    pack = records.pack(pack_id)
    plan = plan_for(pack, informant, age_band)
    # a reverse-scored item, or one of a strengths scale, shows difficulty the other way up
    strengths = {i for s in pack.scales if s.strand == "strengths" for i in s.items}
    flipped = {i.id for i in pack.items if i.reverse} ^ strengths
    for item_id, position in plan.positions.items():
        accept = plan._accept[position]
        if not accept:
            continue
        options = sorted({v for k, v in accept.items() if isinstance(k, int)})
        if not options:
            continue
        # a noisy pick around ``level`` of the way up the item's range
        item_level = 1 - level if item_id in flipped else level
        pick = min(len(options) - 1, max(0, round(item_level * (len(options) - 1) + rng.uniform(-0.5, 0.5))))
        records.answer(completion_id, item_id, options[pick])


def record_measures(store, referral: dict, pupil: dict, first_visit: date, today: date, rng: random.Random) -> int:
    """Finalised SDQs at T1/T2/T3 (those already due) and a Boxall; returns how many."""
    records = FormRecords(store)
    done = 0
    start_level = rng.uniform(0.6, 0.8)
    for i, (point, days) in enumerate(SDQ_DAYS.items()):
        when = first_visit + timedelta(days=days)
        if when > today or when > date.today():
            break
        cid = records.start(
            pupil_id=pupil["id"],
            pack_id=SDQ_PACK,
            informant="teacher",
            age_band="4-17",
            completed_by="teacher",
            completed_on=when,
            time_point=point,
            referral_id=referral["id"],
            respondent="Class teacher",
        )
        _answer_form(records, cid, SDQ_PACK, "teacher", "4-17", start_level - 0.2 * i, rng)
        records.finalise(cid)
        done += 1
    band = "4-11" if (pupil.get("year_group") or 0) <= 6 else "11-19"
    cid = records.start(
        pupil_id=pupil["id"],
        pack_id=BOXALL_PACK,
        informant="adult",
        age_band=band,
        completed_by="practitioner",
        completed_on=first_visit,
        time_point="T1",
        referral_id=referral["id"],
    )
    # the Boxall's scales run the other way (higher is more developed), hence 1 - level
    _answer_form(records, cid, BOXALL_PACK, "adult", band, 1 - start_level, rng)
    records.finalise(cid)
    return done + 1


def fill_demo_records(store, visited: list[tuple[str, date]], today: date, seed: int) -> dict[str, int]:
    """Observations and outcome measures for the demo cases longest in work.

    ``visited`` lists (referral id, first visit day) for cases that have had a visit.
    """
    rng = random.Random(seed * 31 + 5)
    counts = {"observation": 0, "form_completion": 0}
    oldest = sorted(visited, key=lambda rv: rv[1])
    for n, (referral_id, day) in enumerate(oldest[: max(OBSERVED_CASES, MEASURED_CASES)]):
        referral = store.get("referral", referral_id)
        pupil = store.get("pupil", referral["pupil_id"])
        school = store.get("school", referral["school_id"])
        if n < OBSERVED_CASES:
            record_observation(store, referral, pupil, school, day, rng)
            counts["observation"] += 1
        if n < MEASURED_CASES:
            counts["form_completion"] += record_measures(store, referral, pupil, day, today, rng)
    return counts


#: At most this many closed cases get a satisfaction survey, and at most this many
#: referrals their dated exclusions, so a demo scaled to thousands of cases fills quickly.
SURVEYED_CASES = 40
EXCLUDED_REFERRALS = 400
SURVEY_RATINGS = ((2, 3, 4, 5), (4, 18, 45, 33))  # rated out of 5, mostly good


def fill_demo_exclusions(store, today: date, seed: int) -> int:
    """Dated exclusions matching the referrals' counts, for the service report's figures.

    Each referral's ``fixed_exclusions_before`` become that many fixed-term exclusions in
    the 9 months before the referral, and a closed case's ``fixed_exclusions_after`` (during
    the casework) that many between referral and closure (a pupil's later referrals keep
    their counts without dates). After closure, about one pupil in twelve excluded before
    is excluded again within the year, and about one Year 6 referral in ten is excluded in
    the autumn term of Year 7 — where those dates have passed (none is in the future).
    Returns how many were recorded."""
    from desktop.caseload.reviews import PlanReviews
    from desktop.dates import academic_year_start, expected_year_group

    rng = random.Random(seed * 43 + 11)
    reviews = PlanReviews(store, today=today)
    added = 0

    def exclude(referral: dict, when: date, notes: str) -> None:
        nonlocal added
        if when <= today:
            reviews.add_exclusion(referral["pupil_id"], when, "fixed", referral_id=referral["id"], notes=notes)
            added += 1

    rows = list(
        store.db.query(
            "SELECT r.*, p.date_of_birth FROM referral r JOIN pupil p ON p.id = r.pupil_id "
            "WHERE r.deleted = 0 ORDER BY r.referral_date, r.id"
        )
    )
    first_referral: set[str] = set()
    for referral in rows[:EXCLUDED_REFERRALS]:
        referred = date.fromisoformat(referral["referral_date"])
        # the exclusions before a pupil's first referral only: a later referral's count
        # would otherwise put exclusions in the year after the first case closed
        first = referral["pupil_id"] not in first_referral
        first_referral.add(referral["pupil_id"])
        for n in range((referral["fixed_exclusions_before"] or 0) if first else 0):
            exclude(
                referral,
                referred - timedelta(days=rng.randint(7 + 60 * n, 60 * (n + 1) + 20)),
                f"{rng.randint(1, 3)} days; {rng.choice(EXCLUSION_REASONS)}",
            )
        if referral["status"] != "closed" or not referral["closed_on"]:
            continue
        closed = date.fromisoformat(referral["closed_on"])
        for _ in range(referral["fixed_exclusions_after"] or 0):
            span = max(1, (closed - referred).days - 1)
            exclude(
                referral, referred + timedelta(days=rng.randint(1, span)), f"1 day; {rng.choice(EXCLUSION_REASONS)}"
            )
        if (referral["fixed_exclusions_before"] or 0) and rng.random() < 0.08:
            exclude(referral, closed + timedelta(days=rng.randint(30, 330)), f"2 days; {rng.choice(EXCLUSION_REASONS)}")
        dob = referral["date_of_birth"]
        if dob and expected_year_group(date.fromisoformat(dob), referred) == 6 and rng.random() < 0.1:
            autumn = date(academic_year_start(referred) + 1, 9, 1)
            exclude(
                referral,
                autumn + timedelta(days=rng.randint(20, 100)),
                f"1 day in Year 7; {rng.choice(EXCLUSION_REASONS)}",
            )
    return added


EXCLUSION_REASONS = (
    "physical assault against a pupil",
    "persistent disruptive behaviour",
    "verbal abuse towards an adult",
    "damage to property",
)


def fill_demo_surveys(store, today: date, seed: int) -> int:
    """The school's satisfaction survey (``school-satisfaction``, each question rated 1-5),
    finalised at closure for most closed cases; returns how many."""
    from desktop.reports.service import SATISFACTION_PACK

    rng = random.Random(seed * 59 + 7)
    records = FormRecords(store)
    pack = records.pack(SATISFACTION_PACK)
    closed = list(
        store.db.query(
            "SELECT id, pupil_id, closed_on FROM referral WHERE deleted = 0 AND status = 'closed' "
            "AND closed_on IS NOT NULL ORDER BY closed_on DESC, id"
        )
    )
    done = 0
    for referral in closed:
        if done >= SURVEYED_CASES:
            break
        if rng.random() < 0.25:
            continue  # not every school sends the survey back
        completed = min(today, date.fromisoformat(referral["closed_on"]) + timedelta(days=rng.randint(0, 10)))
        cid = records.start(
            pupil_id=referral["pupil_id"],
            pack_id=pack.id,
            informant=pack.informants[0],
            age_band=pack.age_bands[0],
            completed_by="teacher",
            respondent="School",
            completed_on=completed,
            time_point="other",
            referral_id=referral["id"],
        )
        values, weights = SURVEY_RATINGS
        for item in pack.items:
            records.answer(cid, item.id, rng.choices(values, weights)[0])
        records.finalise(cid)
        done += 1
    return done
