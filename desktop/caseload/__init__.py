"""Casework: schools, pupils, referrals, allocation, visits, plans and calls (no Qt)."""
from desktop.caseload.service import CaseRow, Caseload

__all__ = ["CaseRow", "Caseload"]
