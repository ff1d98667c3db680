"""A case's timeline and history as the case view lists them, in words (no Qt)."""
from __future__ import annotations

from desktop.dates import to_uk, to_uk_datetime

ACTIONS = {"create": "added", "update": "changed", "delete": "deleted", "view": "viewed",
           "export": "exported", "restore": "restored"}
ENTITY_WORDS = {"referral": "the referral", "pupil": "the pupil", "visit": "a visit",
                "support_plan": "a support plan", "helpline_call": "a helpline call",
                "attachment": "a document"}
#: A mark per kind of timeline entry, beside its words (the words carry the meaning).
KIND_MARK = {"observation": "◉", "referral": "●", "allocation": "→", "visit": "◆", "support_plan": "▣",
             "helpline_call": "☎", "closure": "■"}


def timeline_text(item: dict) -> str:
    """One timeline entry (``Caseload.timeline``): its UK date, mark and title, and its
    detail on a second line."""
    text = f"{to_uk(item['date'])}   {KIND_MARK.get(item['kind'], '•')} {item['title']}"
    if item["detail"]:
        text += f"\n{item['detail']}"
    return text


def history_text(entry: dict) -> str:
    """One audit entry of the case's history: when, who, and what they did to which record."""
    what = ENTITY_WORDS.get(entry["entity"], entry["entity"])
    text = (f"{to_uk_datetime(entry['at'])}   {entry['actor']} "
            f"{ACTIONS.get(entry['action'], entry['action'])} {what}")
    if entry["detail"] and entry["action"] == "update":
        text += f": {entry['detail'].replace('_', ' ')}"
    return text
