"""Casework: schools, pupils, referrals, allocation, visits, plans and calls (no Qt).

``Caseload`` and ``CaseRow`` load ``desktop.caseload.service`` (and the store) on first
use, so the vocabulary (``desktop.caseload.vocab``) can be read without the store: the
sync rules (``sync.rules``) use it on the server and inside the store.
"""

__all__ = ["CaseRow", "Caseload"]


def __getattr__(name: str):
    if name in __all__:
        from desktop.caseload import service

        return getattr(service, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
