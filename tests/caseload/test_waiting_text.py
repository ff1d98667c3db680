"""A referral's wait says in words what its colour in Weekly allocation shows."""

from desktop.caseload.allocation import AMBER_DAYS, RED_DAYS, waiting_text


def test_the_wait_carries_its_word_from_the_thresholds_on():
    assert waiting_text(1) == "1 day"
    assert waiting_text(AMBER_DAYS - 1) == f"{AMBER_DAYS - 1} days"
    assert waiting_text(AMBER_DAYS) == f"{AMBER_DAYS} days · due soon"
    assert waiting_text(RED_DAYS - 1) == f"{RED_DAYS - 1} days · due soon"
    assert waiting_text(RED_DAYS) == f"{RED_DAYS} days · overdue"
