"""Demo data: a clearly fictional local authority ("Ashbridge") to try Fieldnote with.

Every school is in the invented borough of Ashbridge, URNs are in the 99xxxx range
no real school uses, and the store is marked as a demo store so it is never synced.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from desktop.caseload import Caseload
from desktop.caseload import vocab
from desktop.dates import expected_year_group

PLACES = [
    "Hollowmere",
    "Brackenford",
    "Ashbridge",
    "Wrenfield",
    "Coldharbour",
    "Elmstead",
    "Kestrel Hill",
    "Marlow Vale",
    "Thornbury Green",
    "Saltings",
    "Foxcote",
    "Larkrise",
    "Millbrook",
    "Oakhanger",
    "Pennyfields",
    "Quarry Bank",
    "Rookwood",
    "Sandpiper",
    "Tanners Lane",
    "Underhill",
    "Willowdene",
    "Yarrow",
    "Bramblecote",
    "Cinderford Road",
]
AREAS = ["Ashbridge North", "Ashbridge South", "Ashbridge East", "Ashbridge West", "Ashbridge Central"]
FIRST = [
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Mia",
    "Leo",
    "Ivy",
    "Arthur",
    "Freya",
    "Oscar",
    "Lily",
    "Muhammad",
    "Grace",
    "Harry",
    "Zara",
    "Jack",
    "Aisha",
    "Theo",
    "Evie",
    "Finley",
    "Maya",
    "Kai",
    "Poppy",
    "Reuben",
    "Sofia",
    "Tyler",
    "Nia",
    "Ezra",
    "Ruby",
    "Jayden",
    "Amara",
    "Callum",
    "Hana",
    "Dylan",
    "Layla",
    "Mason",
    "Priya",
    "Ellis",
]
LAST = [
    "Okafor",
    "Smith",
    "Patel",
    "Jones",
    "Nowak",
    "Williams",
    "Khan",
    "Brown",
    "Taylor",
    "Davies",
    "Ahmed",
    "Evans",
    "Murphy",
    "Wilson",
    "Thomas",
    "Kowalski",
    "Roberts",
    "Begum",
    "Hughes",
    "Walker",
    "Mensah",
    "Green",
    "Wright",
    "Ali",
    "Hall",
    "Clarke",
    "Lewis",
    "Osei",
    "Turner",
    "Hill",
    "Campbell",
    "Moore",
    "Popescu",
    "Cooper",
    "Ward",
    "Singh",
    "Bailey",
]
CASEWORKERS = [
    ("Sam Whitfield", ["SEMH", "anger management"]),
    ("Priya Raman", ["autism", "social interaction"]),
    ("Declan Moss", ["secondary", "exclusion prevention"]),
    ("Helen Achebe", ["early years", "attachment"]),
    ("Tom Lindqvist", ["bereavement", "primary"]),
    ("Nadia Farouk", ["EAL", "parental engagement"]),
]
CONCERNS = [
    "Frequent refusal to follow instructions; leaves the classroom without permission.",
    "Physical aggression towards peers at lunchtime; two fixed-term exclusions this term.",
    "Shouting out and distracting others in whole-class teaching.",
    "Withdrawn; difficulty joining group work; recent bereavement.",
    "Damage to equipment when frustrated with written tasks.",
    "Verbal abuse towards a teaching assistant; escalating since September.",
]
#: The share of closed demo cases that were last year's (referred a year earlier).
PAST_SHARE = 0.4
RECOMMENDATIONS = [
    "Seat near the teacher, away from the door; give a 2-minute warning before transitions.",
    "Use a visual timetable and a 'now and next' board.",
    "Agree a calm-down space and a non-verbal signal to use it.",
    "Praise specific on-task behaviour at least every 5 minutes.",
    "Break written tasks into short chunks with a check-in after each.",
]


def _school_name(rng: random.Random, phase: str, used: set[str]) -> str:
    suffix = {"primary": "Primary School", "secondary": "Academy", "special": "School", "ap": "Learning Centre"}[phase]
    while True:
        name = f"{rng.choice(PLACES)} {suffix}"
        if name not in used:
            used.add(name)
            return name
        name = f"{rng.choice(PLACES)} {rng.choice(['St Anne', 'Riverside', 'Hillcrest', 'Park'])} {suffix}"
        if name not in used:
            used.add(name)
            return name


def fill_demo(
    caseload: Caseload, pupils: int = 60, referrals: int | None = None, seed: int = 7, progress=None
) -> dict[str, int]:
    """Add fictional schools, caseworkers, pupils, referrals, visits and plans; observations and
    outcome measures; dated exclusions and the schools' satisfaction surveys at closure.

    Returns the number of records of each kind. ``progress(done, total)`` is
    called now and then for long fills.
    """
    rng = random.Random(seed)
    store, today = caseload.store, caseload.today
    referrals = referrals if referrals is not None else round(pupils * 1.25)
    n_schools = max(6, pupils // 40)
    counts = {"school": 0, "caseworker": 0, "pupil": 0, "referral": 0, "visit": 0, "support_plan": 0}
    with store.transaction():
        store.set_meta("demo", "1")
        workers = []
        for name, specialisms in CASEWORKERS:
            workers.append(
                caseload.add_caseworker(
                    name, specialisms=specialisms, area=rng.choice(AREAS), team="Ashbridge Inclusion"
                )
            )
        counts["caseworker"] = len(workers)
        schools, used = [], set()
        for i in range(n_schools):
            phase = rng.choices(["primary", "secondary", "special", "ap"], [70, 22, 5, 3])[0]
            if i == 1:
                phase = "secondary"  # every demo has one: Year 7 and 8 pupils, academies' figures
            schools.append(
                (
                    caseload.add_school(
                        name=_school_name(rng, phase, used),
                        urn=str(990000 + i),
                        phase=phase,
                        governance=rng.choice(["maintained", "academy"]),
                        area=rng.choice(AREAS),
                    ),
                    phase,
                )
            )
        counts["school"] = n_schools
        pupil_ids, visited, years = [], [], {}
        for i in range(pupils):
            school_id, phase = rng.choice(schools)
            year = rng.randint(1, 6) if phase == "primary" else rng.randint(7, 11)
            # born within the cohort for that year group in the current school year
            cohort_start = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
            dob = date(cohort_start.year - year - 5, 9, 1) + timedelta(days=rng.randint(0, 364))
            assert expected_year_group(dob, today) == year
            pupil_ids.append(
                (
                    caseload.add_pupil(
                        first_name=rng.choice(FIRST),
                        last_name=rng.choice(LAST),
                        school_id=school_id,
                        date_of_birth=dob.isoformat(),
                        year_group=year,
                        gender=rng.choice(["female", "male", "male"]),
                        fsm=int(rng.random() < 0.35),
                        pupil_premium=int(rng.random() < 0.4),
                        sen=rng.choices(["none", "sen_support", "ehcp"], [50, 38, 12])[0],
                        eal=int(rng.random() < 0.2),
                        looked_after=int(rng.random() < 0.05),
                    ),
                    school_id,
                )
            )
            years[pupil_ids[-1][0]] = year
            if progress and i % 500 == 0:
                progress(i, pupils + referrals)
        counts["pupil"] = pupils
        # Last year's casework: some closed cases move a year back, so the service report has
        # closures with 12 months' follow-up (exclusions after support). Its own generator
        # leaves every other demo record as it was.
        history = random.Random(seed * 17 + 3)
        for i in range(referrals):
            pupil_id, school_id = pupil_ids[i % pupils] if i < pupils else rng.choice(pupil_ids)
            # a weekly queue of new referrals, on top of a year's casework
            recent = rng.random() < 0.12
            referred = today - timedelta(days=rng.randint(0, 13) if recent else rng.randint(14, 400))
            details = dict(
                reason=rng.choice(list(vocab.REFERRAL_REASONS)[:10]),
                source=rng.choice(["school", "senco", "head"]),
                concern=rng.choice(CONCERNS),
                fixed_exclusions_before=rng.choice([0, 0, 1, 2, 3]),
                permanent_exclusions_before=0,
            )
            # how far a case has got depends on how long ago it was referred
            age = (today - referred).days
            if age < 7:
                stage = rng.choices(["new", "allocated"], [70, 30])[0]
            elif age < 30:
                stage = rng.choices(["new", "allocated", "active"], [10, 30, 60])[0]
            else:
                stage = rng.choices(["allocated", "active", "closed"], [5, 50, 45])[0]
            # A Year 8 pupil's older referrals were transition referrals made in Year 6,
            # closed since, with the autumn term of Year 7 now over (a service report figure).
            transition = years[pupil_id] == 8 and age >= 30
            if transition:
                stage = "closed"
            if transition:  # made in the spring or summer term of Year 6
                referred = date(today.year - 1 if today.month >= 9 else today.year - 2, 1, 10) + timedelta(
                    days=age % 160
                )
            elif stage == "closed" and history.random() < PAST_SHARE:
                referred -= timedelta(days=365)
            referral_id = caseload.add_referral(
                pupil_id=pupil_id, school_id=school_id, referral_date=referred.isoformat(), **details
            )
            counts["referral"] += 1
            if stage != "new":
                allocated = min(today, referred + timedelta(days=rng.randint(1, 12)))
                caseload.allocate(referral_id, rng.choice(workers), allocated)
                if stage in ("active", "closed"):
                    visit_day = min(today, allocated + timedelta(days=rng.randint(1, 10)))
                    caseload.add_visit(
                        referral_id,
                        visit_day,
                        "observation",
                        attendees="Class teacher, SENCo",
                        notes="Observed a full lesson at minute intervals; discussed with the class teacher.",
                        recommendations=rng.choice(RECOMMENDATIONS),
                    )
                    counts["visit"] += 1
                    visited.append((referral_id, visit_day))
                    if rng.random() < 0.4:
                        caseload.add_visit(
                            referral_id,
                            min(today, visit_day + timedelta(days=14)),
                            "psp_meeting",
                            attendees="Parent/carer, head of year",
                            notes="Agreed PSP targets.",
                        )
                        caseload.add_support_plan(
                            referral_id,
                            min(today, visit_day + timedelta(days=14)),
                            review_dates=[visit_day + timedelta(days=56)],
                            targets="Stay in class for whole lessons; use the agreed signal.",
                            strategies=rng.choice(RECOMMENDATIONS),
                            parent_involvement="Parent/carer attended and agreed a home-school book.",
                        )
                        counts["visit"] += 1
                        counts["support_plan"] += 1
                if stage == "closed":
                    caseload.close(
                        referral_id,
                        rng.choice(list(vocab.CLOSURE_OUTCOMES)[:4]),
                        min(today, visit_day + timedelta(days=rng.randint(21, 120))),
                        fixed_exclusions_after=rng.choice([0, 0, 0, 1]),
                        permanent_exclusions_after=0,
                    )
            if progress and i % 500 == 0:
                progress(pupils + i, pupils + referrals)
        from desktop.audits.demo import fill_demo_audits  # school audits and reviews

        counts["audit"] = fill_demo_audits(store, [s for s, _ in schools], workers, today, seed)
        from desktop.demo_records import fill_demo_records  # observations, SDQs, Boxall

        counts.update(fill_demo_records(store, visited, today, seed))
        from desktop.demo_records import fill_demo_exclusions, fill_demo_surveys

        counts["exclusion"] = fill_demo_exclusions(store, today, seed)  # dated, before and after
        counts["survey"] = fill_demo_surveys(store, today, seed)  # schools' satisfaction at closure
    return counts


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="fill the store with fictional demo data",
        description="Fill the store with clearly fictional schools, pupils, referrals and visits "
        "(the invented borough of Ashbridge). A demo store is never synced.",
    )
    parser.add_argument("--pupils", type=int, default=60, help="number of pupils (default 60)")
    parser.add_argument("--referrals", type=int, default=None, help="number of referrals (default 1.25 per pupil)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.set_defaults(func=_run)


def _run(args) -> int:
    import sys

    from desktop.store import StoreError, opened

    if args.pupils < 1:
        print("--pupils must be at least 1", file=sys.stderr)
        return 2
    try:
        with opened() as store:
            counts = fill_demo(Caseload(store), args.pupils, args.referrals, args.seed)
    except StoreError as exc:
        print(f"fieldnote: {exc}", file=sys.stderr)
        return 1
    print(", ".join(f"{n} {kind.replace('_', ' ')}s" for kind, n in counts.items()))
    return 0
