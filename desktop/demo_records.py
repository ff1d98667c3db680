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

LESSONS = [("Maths", "Mr Hale"), ("English", "Ms Oduya"), ("Science", "Mrs Penrose"),
           ("Topic", "Miss Carver"), ("PE", "Mr Daly"), ("Art", "Ms Ibe")]
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


def record_observation(store, referral: dict, pupil: dict, school: dict, day: date,
                       rng: random.Random, minutes: int = 30) -> str:
    """Play one finished lesson observation through the engine; returns its id."""
    repo = StoreObservationRepository(store)
    scheme = minute_intervals()
    lesson, teacher = rng.choice(LESSONS)
    clock = ScriptedClock(wall=_wall(day))
    setup = ObservationSetup(
        case_id=referral["id"], pupil=f"{pupil['first_name']} {pupil['last_name']}",
        school=school["name"], lesson=lesson, teacher=teacher, setting="Classroom",
        class_size=rng.randint(22, 30), adults_present=rng.randint(1, 3),
        interval_seconds=60, planned_duration_seconds=minutes * 60)
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
                "Teaching assistant offered the calm-down space; returned after four minutes.")
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


def _answer_form(records: FormRecords, completion_id: str, pack_id: str, informant: str,
                 age_band: str, level: float, rng: random.Random) -> None:
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


def record_measures(store, referral: dict, pupil: dict, first_visit: date, today: date,
                    rng: random.Random) -> int:
    """Finalised SDQs at T1/T2/T3 (those already due) and a Boxall; returns how many."""
    records = FormRecords(store)
    done = 0
    start_level = rng.uniform(0.6, 0.8)
    for i, (point, days) in enumerate(SDQ_DAYS.items()):
        when = first_visit + timedelta(days=days)
        if when > today or when > date.today():
            break
        cid = records.start(pupil_id=pupil["id"], pack_id=SDQ_PACK, informant="teacher",
                            age_band="4-17", completed_by="teacher", completed_on=when,
                            time_point=point, referral_id=referral["id"], respondent="Class teacher")
        _answer_form(records, cid, SDQ_PACK, "teacher", "4-17", start_level - 0.2 * i, rng)
        records.finalise(cid)
        done += 1
    band = "4-11" if (pupil.get("year_group") or 0) <= 6 else "11-19"
    cid = records.start(pupil_id=pupil["id"], pack_id=BOXALL_PACK, informant="adult",
                        age_band=band, completed_by="practitioner", completed_on=first_visit,
                        time_point="T1", referral_id=referral["id"])
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
    for n, (referral_id, day) in enumerate(oldest[:max(OBSERVED_CASES, MEASURED_CASES)]):
        referral = store.get("referral", referral_id)
        pupil = store.get("pupil", referral["pupil_id"])
        school = store.get("school", referral["school_id"])
        if n < OBSERVED_CASES:
            record_observation(store, referral, pupil, school, day, rng)
            counts["observation"] += 1
        if n < MEASURED_CASES:
            counts["form_completion"] += record_measures(store, referral, pupil, day, today, rng)
    return counts
