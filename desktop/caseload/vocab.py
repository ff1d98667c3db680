"""The service's vocabulary: the fixed choices records use (value -> label).

Values are what is stored and synced; labels are what people see.
"""

from __future__ import annotations

REFERRAL_STATUSES = {
    "new": "New",
    "allocated": "Allocated",
    "active": "Active",
    "closed": "Closed",
}
# new -> allocated -> active -> closed; reallocation keeps a case allocated/active.
STATUS_FLOW = {
    "new": {"allocated", "closed"},  # a school may withdraw before allocation
    "allocated": {"allocated", "active", "closed"},
    "active": {"allocated", "active", "closed"},
    "closed": set(),
}

REFERRAL_REASONS = {
    "persistent_disruption": "Persistent disruptive behaviour",
    "physical_assault_pupil": "Physical assault against a pupil",
    "physical_assault_adult": "Physical assault against an adult",
    "verbal_abuse_pupil": "Verbal abuse / threatening behaviour against a pupil",
    "verbal_abuse_adult": "Verbal abuse / threatening behaviour against an adult",
    "racist_incident": "Racist abuse",
    "bullying": "Bullying",
    "damage": "Damage",
    "attendance": "Attendance",
    "social_interaction": "Social interaction difficulties",
    "emotional_wellbeing": "Emotional wellbeing",
    "other": "Other",
}

REFERRAL_SOURCES = {
    "school": "School",
    "senco": "SENCo",
    "head": "Headteacher",
    "parent": "Parent / carer",
    "local_authority": "Local authority",
    "health": "Health service",
    "other": "Other",
}

CLOSURE_OUTCOMES = {
    "improved_in_school": "Behaviour improved; remains in school",
    "psp_completed": "Pastoral Support Plan completed",
    "moved_school": "Moved school",
    "managed_move": "Managed move",
    "alternative_provision": "Alternative provision",
    "permanently_excluded": "Permanently excluded",
    "referred_on": "Referred on to another service",
    "no_further_action": "No further action needed",
    "school_withdrew": "School withdrew the referral",
}

VISIT_TYPES = {
    "observation": "Classroom observation",
    "consultation": "Consultation",
    "psp_meeting": "PSP meeting",
    "review": "Review",
    "modelling": "1:1 modelling",
    "clinic": "Behaviour clinic",
    "audit": "Behaviour audit",
    "telephone": "Telephone contact",
}

SCHOOL_PHASES = {
    "nursery": "Nursery",
    "primary": "Primary",
    "secondary": "Secondary",
    "all_through": "All-through",
    "special": "Special",
    "ap": "Alternative provision / PRU",
}

GOVERNANCE = {
    "maintained": "Maintained",
    "academy": "Academy",
    "free_school": "Free school",
    "independent": "Independent",
}

SEN_STATUS = {
    "none": "None",
    "sen_support": "SEN support",
    "ehcp": "EHC plan",
}

GENDERS = {
    "female": "Female",
    "male": "Male",
    "other": "Other / prefers another term",
    "not_recorded": "Not recorded",
}

PLAN_STATUSES = {"open": "Open", "completed": "Completed", "discontinued": "Discontinued"}

CALLER_ROLES = {
    "teacher": "Teacher",
    "senco": "SENCo",
    "senior_leader": "Senior leader",
    "teaching_assistant": "Teaching assistant",
    "parent": "Parent / carer",
    "other": "Other",
}

CALL_OUTCOMES = {
    "advice_given": "Advice given",
    "referral_made": "Referral made",
    "visit_arranged": "Visit arranged",
    "signposted": "Signposted elsewhere",
}

YEAR_GROUPS = {-1: "Nursery", 0: "Reception", **{y: f"Year {y}" for y in range(1, 14)}}
