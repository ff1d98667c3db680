"""A fictional case with evidence, for the report benchmark, the tests and the docs' page images.

Everything goes through the normal write paths (caseload, observation
repository, form records), so a report built from it reads the store exactly
as it would a practitioner's. Names are invented (and include the accented
names every report must render).
"""

from __future__ import annotations

import random
from datetime import date

from desktop.caseload import Caseload
from desktop.forms.records import FormRecords
from desktop.observation import AbcRecord, Interval, LessonPhase, ObservationRecord, ObservationSetup
from desktop.observation.observation import Observation, record_events
from desktop.observation.records import CODED, SKIPPED, subject_of
from desktop.observation.scheme import minute_intervals
from desktop.observation.store_repository import StoreObservationRepository

SAMPLE_SECTIONS = {
    "background": (
        "Zoë was referred by her school in October for persistent disruption in lessons. "
        "Her class teacher, Ms Siân Ó Briain, reports that Zoë often leaves her seat during "
        "independent work and calls out during whole-class teaching.\n\n"
        "Background the school shared:\n"
        "- two moves of school in Key Stage 1\n"
        "- a new sibling at home since the summer\n"
        "- good relationships with the teaching assistant, Mr Łukasz Nowak"
    ),
    "strengths": "- Zoë is articulate and enjoys practical work.\n- She responds well to specific praise.",
    "communicates": (
        "The observation suggests the behaviour rises when tasks are open-ended and adult "
        "attention moves elsewhere: it may be a way of seeking connection and avoiding "
        "work that feels too hard to start."
    ),
    "recommendations": (
        "1. Give a 2-minute warning before transitions and a visual 'now and next' board.\n"
        "2. Break written tasks into short chunks with a check-in after each.\n"
        "3. Agree a calm-down space and a non-verbal signal to use it."
    ),
    "next_steps": "A follow-up visit in four weeks to write a Pastoral Support Plan with the school "
    "and Zoë's mother, Mrs Nguyễn.",
}


def sample_observation(
    observation_id: str,
    rng: random.Random,
    *,
    intervals: int = 60,
    lesson: str = "Maths",
    peer_every: int | None = 5,
    started_at: str = "2026-11-10T09:15:00Z",
) -> Observation:
    """An ended minute-interval observation with phases, a few skipped intervals and ABC notes."""
    scheme = minute_intervals()
    size = scheme.interval_seconds
    behaviour = ["ON", "ON", "ON", "OFF-P", "OFF-V", "OFF-M", "DIS"]
    context = ["TWC", "GRP", "IND", "TRN"]
    rows = []
    for k in range(1, intervals + 1):
        status = SKIPPED if rng.random() < 0.04 else CODED
        codes = (
            ()
            if status != CODED
            else tuple(c.id for c in scheme.codes if c.id in (rng.choice(behaviour), rng.choice(context)))
        )
        rows.append(Interval(k, subject_of(k, peer_every), status, codes, float((k - 1) * size), float(k * size)))
    phases = (
        LessonPhase("Starter", 0.0),
        LessonPhase("Main task", intervals * size * 0.25),
        LessonPhase("Plenary", intervals * size * 0.8),
    )
    abc = tuple(
        AbcRecord(a, b, c, float(t * size + 20), t + 1)
        for a, b, c, t in (
            ("Asked to start the written task", "Pushed the book away and left her seat", "TA redirected her", 14),
            ("Partner took the ruler", "Shouted at partner", "Moved to a table near the teacher", 31),
        )
        if t + 1 <= intervals
    )
    record = ObservationRecord(
        id=observation_id,
        version=1,
        supersedes=None,
        state="ended",
        setup=ObservationSetup(
            case_id="CASE", pupil="Zoë", lesson=lesson, interval_seconds=size, peer_every=peer_every
        ),
        scheme=scheme,
        started_at=started_at,
        ended_at=_plus(started_at, intervals * size),
        end_reason="completed",
        observed_s=float(intervals * size),
        intervals=tuple(rows),
        abc=abc,
        phases=phases,
    )
    return Observation.replay(record_events(record))


def _plus(iso: str, seconds: int) -> str:
    from desktop.observation.observation import iso_utc, parse_iso_utc

    return iso_utc(parse_iso_utc(iso) + seconds)


def make_sample_case(
    store,
    *,
    seed: int = 11,
    today: date = date(2026, 11, 23),
    observations: int = 2,
    intervals: int = 60,
    sdqs: int = 3,
) -> dict:
    """A school, pupil and referral with observations, a Boxall and SDQs at T1, T2, T3.

    Returns the ids: ``{"referral", "pupil", "observations": [...], "completions": [...]}``.
    """
    rng = random.Random(seed)
    caseload = Caseload(store, today=today)
    school = caseload.add_school(
        name="Kestrel Hill Primary School",
        urn="990123",
        phase="primary",
        governance="maintained",
        area="Ashbridge North",
    )
    worker = caseload.add_caseworker("Siân Ó Briain", specialisms=["SEMH"])
    pupil = caseload.add_pupil(
        first_name="Zoë", last_name="Nguyễn", school_id=school, date_of_birth="2017-02-03", year_group=4
    )
    referral = caseload.add_referral(
        pupil_id=pupil,
        school_id=school,
        reason="persistent_disruption",
        referral_date="2026-10-05",
        concern="Calls out; leaves her seat.",
    )
    caseload.allocate(referral, worker, on=date(2026, 10, 9))
    repo = StoreObservationRepository(store)
    obs_ids = []
    for n in range(observations):
        oid = f"obs-sample-{n + 1}"
        obs = sample_observation(
            oid,
            rng,
            intervals=intervals,
            lesson=("Maths", "English")[n % 2],
            started_at=f"2026-11-{10 + n:02d}T09:15:00Z",
        )
        repo.add(obs)
        store.update("observation", oid, {"referral_id": referral})
        obs_ids.append(oid)

    records = FormRecords(store)
    completions = []
    boxall = records.pack("boxall-synthetic")
    cid = records.start(
        pupil_id=pupil,
        pack_id=boxall.id,
        informant=boxall.informants[0],
        age_band="4-11",
        completed_by="teacher",
        completed_on="2026-11-10",
        time_point="T1",
        referral_id=referral,
    )
    for item in boxall.items:
        records.answer(cid, item.id, rng.choice([0, 1, 2, 3, 4, 2, 3]))
    records.finalise(cid)
    completions.append(cid)
    sdq = records.pack("sdq-teacher-4-17")
    for i, (tp, when) in enumerate((("T1", "2026-10-12"), ("T2", "2026-11-16"), ("T3", "2026-11-20"))[:sdqs]):
        cid = records.start(
            pupil_id=pupil,
            pack_id=sdq.id,
            informant="teacher",
            age_band="4-17",
            completed_by="teacher",
            completed_on=when,
            time_point=tp,
            referral_id=referral,
        )
        for item in sdq.items:
            options = [o.value for o in sdq.response_sets[item.response_set].options]
            weights = [max(1, 4 - i) if j == len(options) - 1 else 2 for j in range(len(options))]
            records.answer(cid, item.id, rng.choices(options, weights)[0])
        records.finalise(cid)
        completions.append(cid)
    return {"referral": referral, "pupil": pupil, "observations": obs_ids, "completions": completions}


def add_evidence(
    store,
    referral_id: str,
    *,
    seed: int = 5,
    observed_on: str = "2026-11-10",
    intervals: int = 40,
    lesson: str = "Maths",
    sdqs: tuple[str, ...] = (),
) -> dict:
    """An ended observation and a finalised Boxall (synthetic pack) on an existing case,
    through the normal write paths: what a demo case needs before a visit report (the
    demo data has referrals, visits and plans, but no observations or forms).

    ``sdqs``: the completion dates of teacher SDQs to add too (at T1, T2, …).
    Returns ``{"observation": id, "boxall": completion id, "sdqs": [completion ids]}``.
    """
    rng = random.Random(seed)
    referral = store.get("referral", referral_id)
    oid = f"obs-{referral_id[:8]}-{seed}"
    StoreObservationRepository(store).add(
        sample_observation(oid, rng, intervals=intervals, lesson=lesson, started_at=f"{observed_on}T09:15:00Z")
    )
    store.update("observation", oid, {"referral_id": referral_id})
    records = FormRecords(store)
    boxall = records.pack("boxall-synthetic")
    cid = records.start(
        pupil_id=referral["pupil_id"],
        pack_id=boxall.id,
        informant=boxall.informants[0],
        age_band="4-11",
        completed_by="teacher",
        completed_on=observed_on,
        time_point="T1",
        referral_id=referral_id,
    )
    for item in boxall.items:
        records.answer(cid, item.id, rng.choice([0, 1, 2, 3, 4, 2, 3]))
    records.finalise(cid)
    sdq_ids = []
    sdq = records.pack("sdq-teacher-4-17")
    for i, when in enumerate(sdqs):
        sid = records.start(
            pupil_id=referral["pupil_id"],
            pack_id=sdq.id,
            informant="teacher",
            age_band="4-17",
            completed_by="teacher",
            completed_on=when,
            time_point=f"T{i + 1}",
            referral_id=referral_id,
        )
        strengths = {m for sc in sdq.scales if sc.id == "prosocial" for m in sc.items}
        for item in sdq.items:
            options = sdq.response_sets[item.response_set].options
            top = max(o.score for o in options)
            # how much difficulty each answer shows (reversed items and strengths the other way);
            # answers drift towards fewer difficulties at each later time point
            shown = [top - o.score if item.reverse or item.id in strengths else o.score for o in options]
            weights = [(2 + 3 * i) if d == 0 else (3 if d == top and i == 0 else 2) for d in shown]
            records.answer(sid, item.id, rng.choices([o.value for o in options], weights)[0])
        records.finalise(sid)
        sdq_ids.append(sid)
    return {"observation": oid, "boxall": cid, "sdqs": sdq_ids}
