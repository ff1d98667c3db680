"""Demo school audits: a behaviour audit at several demo schools last term, finalised with
evidence, action points and a feedback meeting; follow-up reviews at some of them this
term (fictional, like all demo data)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from desktop.audits.records import AuditRecords
from desktop.audits.review import start_review

NOTES = {
    "red": [
        "Not seen consistently; several adults did not follow the policy.",
        "Pupils queued unsupervised for about ten minutes.",
    ],
    "amber": [
        "Seen in most places; two classrooms did not use the system.",
        "In place but not yet consistent across year groups.",
    ],
    "green": [
        "Seen everywhere during the day; staff and pupils knew the routine.",
        "Strong practice; worth sharing with other schools.",
    ],
}
ACTIONS = [
    ("Agree one whole-school reward system and launch it with all staff", "Deputy head", ["rewards_used"]),
    (
        "Staff rota so that every area is supervised at break and lunch",
        "Business manager",
        ["break_supervised", "lunch_supervised"],
    ),
    ("Restorative conversation training for midday supervisors", "SENCO", ["restorative"]),
    ("Review the behaviour policy wording with staff and parents", "Headteacher", ["policy_wording"]),
]


def fill_demo_audits(
    store, school_ids: list[str], worker_ids: list[str], today: date, seed: int = 7, schools: int = 5
) -> int:
    """Add audits (and reviews) for up to ``schools`` of ``school_ids``; returns how many."""
    rng = random.Random(seed)
    records = AuditRecords(store)
    template = records.template("behaviour-audit")
    made = 0
    for i, school in enumerate(school_ids[:schools]):
        worker = worker_ids[i % len(worker_ids)] if worker_ids else None
        on = today - timedelta(days=rng.randint(100, 150))
        aid = records.start(school_id=school, template_id=template.id, conducted_on=on, conducted_by=worker)
        values = {}
        for c in template.criteria.values():
            if c.kind == "rated":
                v = rng.choices(["red", "amber", "green", "not_seen"], [2, 4, 5, 1])[0]
                values[c.id] = v
                records.rate(aid, c.id, v)
                if v in NOTES and rng.random() < 0.6:
                    records.note(aid, c.id, rng.choice(NOTES[v]))
                if v == "green" and rng.random() < 0.3:
                    records.flag_good_practice(aid, c.id, True)
            elif c.kind == "yes_no":
                records.rate(aid, c.id, rng.choice(["yes", "no"]))
            elif c.kind == "number":
                records.rate(aid, c.id, str(rng.randint(0, 25)))
            else:
                records.rate(aid, c.id, "Persistent disruptive behaviour; verbal abuse of staff")
        for section in template.sections:
            if section.judgement_scale and any(values.get(c.id) for c in section.criteria):
                ranks = [
                    template.level_rank[values[c.id]]
                    for c in section.criteria
                    if values.get(c.id) in template.level_rank
                ]
                if ranks:
                    level = section.judgement_scale.levels[round(sum(ranks) / len(ranks))]
                    records.judge(aid, section.id, value=level.value)
        for action, owner, crits in rng.sample(ACTIONS, 3):
            records.add_action(aid, action, owner=owner, due_on=on + timedelta(days=60), criteria=crits)
        records.record_meeting(
            aid,
            held_on=on,
            attendees="Headteacher, Deputy head, SENCO",
            agreed="Findings and the three action points agreed; review next term.",
        )
        records.set_good_practice(aid, "Warm, consistent greeting at the gate; calm lunchtimes.")
        records.finalise(aid)
        made += 1
        if i % 2 == 0:
            review = start_review(
                records, school, conducted_on=today - timedelta(days=rng.randint(5, 30)), conducted_by=worker
            )
            for cid, v in values.items():
                step = rng.choices([-1, 0, 1], [1, 4, 4])[0]
                rank = template.level_rank.get(v)
                new = v if rank is None else str(template.levels[max(0, min(2, rank + step))].value)
                records.rate(review, cid, new)
            for a in records.snapshot(review).actions:
                records.update_action(
                    a["id"],
                    status=rng.choice(["done", "in_progress"]),
                    progress="Started; evidence seen at the review visit.",
                )
            if i % 4 == 0:
                records.finalise(review)
            made += 1
    return made
