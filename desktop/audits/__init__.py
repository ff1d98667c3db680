"""School audits (no Qt): templates, records, follow-up reviews and summaries.

An audit rates a school against a template's criteria (``template``), every rating
committed as it is made (``records``); a review re-rates the same criteria and shows
movement (``review``); ``summary`` counts ratings for one audit and across schools.
"""
