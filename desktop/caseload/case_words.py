"""A case's timeline and history as the case view lists them, in words (no Qt)."""

from __future__ import annotations

from desktop.dates import to_uk, to_uk_datetime

#: A mark per kind of timeline entry, beside its words (the words carry the meaning).
KIND_MARK = {
    "observation": "◉",
    "referral": "●",
    "allocation": "→",
    "visit": "◆",
    "support_plan": "▣",
    "helpline_call": "☎",
    "closure": "■",
}


def timeline_text(item: dict) -> str:
    """One timeline entry (``Caseload.timeline``): its UK date, mark and title, and its
    detail on a second line."""
    text = f"{to_uk(item['date'])}   {KIND_MARK.get(item['kind'], '•')} {item['title']}"
    if item["detail"]:
        text += f"\n{item['detail']}"
    return text


def history_text(entry: dict) -> str:
    """One line of the case's history (``Caseload.case_history``): when (UK date and local
    time), who, and what they did to which record, in words."""
    return f"{to_uk_datetime(entry['at'])}   {entry['actor']} {entry['text']}"
