"""Onboarding imports: a 25,000-row GIAS schools extract and 10,000 open referrals.

Generates a GIAS extract (Windows-1252, the extract's realistic columns, 150 local
authorities, open and closed establishments of every type group) and a service's
spreadsheets: pupils and open referrals with their own column headings and a mapping.
Times ``fieldnote import``'s work (plan + one-transaction apply) on an encrypted store:
schools (filtered to one authority) and referrals; the pupils the referrals name are
imported first and timed separately. Issue 12 target: schools + referrals <= 10 s.
Quick run: ``BENCH_SCALE=0.1``. The last line printed is one JSON object.
"""

from __future__ import annotations

import csv
import json
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop.caseload import importer  # noqa: E402
from desktop.store import Store  # noqa: E402

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
SCHOOL_ROWS = int(os.environ.get("BENCH_SCHOOL_ROWS", max(1, round(25_000 * SCALE))))
REFERRALS = int(os.environ.get("BENCH_REFERRALS", max(1, round(10_000 * SCALE))))
LA_CODE = "873"
KEY = bytes(range(32))
GIAS_COLUMNS = [
    "URN",
    "LA (code)",
    "LA (name)",
    "EstablishmentNumber",
    "EstablishmentName",
    "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (name)",
    "OpenDate",
    "CloseDate",
    "PhaseOfEducation (name)",
    "StatutoryLowAge",
    "StatutoryHighAge",
    "Gender (name)",
    "ReligiousCharacter (name)",
    "NumberOfPupils",
    "Street",
    "Locality",
    "Town",
    "County (name)",
    "Postcode",
    "SchoolWebsite",
    "TelephoneNum",
    "HeadFirstName",
    "HeadLastName",
]
TYPES = [  # (type, group, phase)
    ("Community school", "Local authority maintained schools", "Primary"),
    ("Voluntary aided school", "Local authority maintained schools", "Primary"),
    ("Foundation school", "Local authority maintained schools", "Secondary"),
    ("Academy converter", "Academies", "Primary"),
    ("Academy sponsor led", "Academies", "Secondary"),
    ("Free schools", "Free Schools", "All-through"),
    ("Community special school", "Special schools", "Not applicable"),
    ("Pupil referral unit", "Local authority maintained schools", "Not applicable"),
    ("Other independent school", "Independent schools", "All-through"),
    ("Further education", "Colleges", "16 plus"),
]
NAMES = [
    "St Mary's",
    "Holy Trinity",
    "Brook",
    "Oakfield",
    "Café Côté",
    "Ashby",
    "Great Ryburgh",
    "Saint Æthelwold's",
    "Westfield",
    "Kingsmead",
    "Willow",
    "Fenland",
]
REASONS = [
    "Persistent disruptive behaviour",
    "attendance",
    "Bullying",
    "Emotional wellbeing",
    "social_interaction",
    "Physical assault against a pupil",
]


def write_gias(path: Path, rng: random.Random) -> int:
    """The extract; returns how many of its rows are the authority's open schools."""
    ours = 0
    with path.open("w", encoding="cp1252", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(GIAS_COLUMNS)
        for i in range(SCHOOL_ROWS):
            la = LA_CODE if i % 50 == 0 else str(800 + i % 150)
            kind, group, phase = TYPES[i % len(TYPES)]
            status = "Closed" if i % 7 == 0 else "Open"
            if la == LA_CODE and status == "Open" and group != "Colleges":
                ours += 1
            w.writerow(
                [
                    str(100000 + i),
                    la,
                    "Cambridgeshire" if la == LA_CODE else f"Authority {la}",
                    str(2000 + i % 7000),
                    f"{rng.choice(NAMES)} {phase if phase != 'Not applicable' else ''} School {i}",
                    kind,
                    group,
                    status,
                    "01/09/1990",
                    "" if status == "Open" else "31/08/2015",
                    phase,
                    "4",
                    "11",
                    "Mixed",
                    "Does not apply",
                    str(rng.randint(40, 1800)),
                    f"{i} High Street",
                    "",
                    "Ely",
                    "Cambridgeshire",
                    f"CB{i % 10} {i % 9}AB",
                    f"www.school{i}.example.org",
                    f"01353 {i:06d}",
                    "Alex",
                    "Head",
                ]
            )
    return ours


def main() -> int:
    rng = random.Random(12)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        gias = tmp / "edubasealldata.csv"
        ours = write_gias(gias, rng)
        store = Store.open(tmp / "store.db", KEY, actor="import")
        try:
            started = time.perf_counter()
            plan = importer.plan_schools(store, gias, LA_CODE)
            importer.apply_plan(store, plan, leave_out_refused=True)
            schools_s = time.perf_counter() - started
            urns = [r[0] for r in store.conn.execute("SELECT urn FROM school")]
            # The service's spreadsheets: one pupil per referral.
            pupils = tmp / "pupils.csv"
            referrals = tmp / "referrals.csv"
            today = date.today()
            with (
                pupils.open("w", encoding="cp1252", newline="") as pf,
                referrals.open("w", encoding="cp1252", newline="") as rf,
            ):
                pw, rw = csv.writer(pf), csv.writer(rf)
                pw.writerow(["Forename", "Surname", "DOB", "UPN", "School URN", "Year"])
                rw.writerow(["UPN", "Date referred", "Reason", "Concern", "Source"])
                for i in range(REFERRALS):
                    born = date(2012, 9, 1) + timedelta(days=i % 2000)
                    upn = f"A{i:012d}"
                    pw.writerow([f"Pupil{i}", "Zoë-Bench", born.strftime("%d/%m/%Y"), upn, urns[i % len(urns)], ""])
                    rw.writerow(
                        [
                            upn,
                            (today - timedelta(days=1 + i % 300)).strftime("%d/%m/%Y"),
                            REASONS[i % len(REASONS)],
                            "Leaves the classroom. " * 5,
                            "School",
                        ]
                    )
            started = time.perf_counter()
            plan = importer.plan_mapped(
                store,
                "pupil",
                pupils,
                {
                    "first_name": "Forename",
                    "last_name": "Surname",
                    "date_of_birth": "DOB",
                    "upn": "UPN",
                    "school_urn": "School URN",
                    "year_group": "Year",
                },
            )
            importer.apply_plan(store, plan)
            pupils_s = time.perf_counter() - started
            started = time.perf_counter()
            plan = importer.plan_mapped(
                store,
                "referral",
                referrals,
                {
                    "pupil_upn": "UPN",
                    "referral_date": "Date referred",
                    "reason": "Reason",
                    "concern": "Concern",
                    "source": "Source",
                },
            )
            done = importer.apply_plan(store, plan)
            referrals_s = time.perf_counter() - started
            started = time.perf_counter()
            again = importer.plan_mapped(
                store,
                "referral",
                referrals,
                {
                    "pupil_upn": "UPN",
                    "referral_date": "Date referred",
                    "reason": "Reason",
                    "concern": "Concern",
                    "source": "Source",
                },
            )
            reimport_s = time.perf_counter() - started
            counts = {
                e: store.conn.execute(f"SELECT count(*) FROM {e}").fetchone()[0]
                for e in ("school", "pupil", "referral")
            }
        finally:
            store.close()
    result = {
        "bench": "imports",
        "scale": SCALE,
        "gias_rows": SCHOOL_ROWS,
        "authority_open_schools": ours,
        "schools_imported": counts["school"],
        "schools_s": round(schools_s, 3),
        "pupils": counts["pupil"],
        "pupils_s": round(pupils_s, 3),
        "referrals": counts["referral"],
        "referrals_created": done["created"],
        "referrals_s": round(referrals_s, 3),
        "reimport_referrals_plan_s": round(reimport_s, 3),
        "reimport_unchanged": again.count("unchanged"),
        "schools_plus_referrals_s": round(schools_s + referrals_s, 3),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    result["targets_met"] = {"schools_plus_referrals_le_10s": schools_s + referrals_s <= 10}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
