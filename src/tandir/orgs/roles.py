"""What each role may do. One table, read by the scoping lookups, the actions and the templates.

Every write has its own right, checked inside the action that makes it, so a channel that skips
the page (API, import, command line, admin) meets the same rule.
"""

from __future__ import annotations

from enum import StrEnum

from tandir.orgs.models import Role


class Right(StrEnum):
    SEE_WHOLE_ORGANIZATION = "see_whole_organization"
    SEE_PROTECTED = "see_protected"
    SEE_RECORDS = "see_records"  # individual beneficiaries; network analysts see aggregates only
    REGISTER = "register"  # register people and correct their details
    RECORD_CONSENT = "record_consent"  # record a new consent or withdraw one
    MERGE = "merge"
    EXPORT = "export"
    IMPORT = "import"
    # Moving a person to a stage of the pipeline belongs to whoever runs that stage.
    MOVE_TO_TRAINING = "move_to_training"
    MOVE_TO_PLANNING = "move_to_planning"
    MOVE_TO_BORROWER = "move_to_borrower"
    EXIT = "exit"  # record that a person left the programme
    MANAGE_STAFF = "manage_staff"
    # Branches, projects, loan products, funds, partner banks, the chart of accounts.
    MANAGE_ORGANIZATION = "manage_organization"
    # Lending, each step its own right; four eyes is a rule of the actions on top of these.
    APPLY = "apply"  # take a loan application, prepare it for appraisal
    APPRAISE = "appraise"  # repayment capacity, site visit, recommendation
    APPROVE = "approve"  # decide as the credit committee, within the role's limits
    DISBURSE = "disburse"  # send disbursement instructions to the partner bank
    CONFIRM_DISBURSEMENT = "confirm_disbursement"  # record the bank's confirmation
    COLLECT = "collect"  # repayments at the counter, collection sheets, bank statements
    CORRECT = "correct"  # reverse or back-date repayments
    REQUEST_CHANGE = "request_change"  # ask for rescheduling or write-off
    DECIDE_CHANGE = "decide_change"  # approve rescheduling or write-off
    FOLLOW_UP = "follow_up"  # arrears notes, promises to pay
    MANAGE_GROUPS = "manage_groups"  # solidarity groups and centres
    SEE_LEDGER = "see_ledger"
    # Bringing an existing portfolio opens loans and ledger balances at once: administrators.
    IMPORT_LOANS = "import_loans"
    # Close of business: penalties, arrears, accruals and the day's snapshot, for a whole
    # organisation at once.
    RUN_CLOSE_OF_BUSINESS = "run_close_of_business"
    # Training: curriculum, venues, cohorts and enrolment; attendance and completion.
    MANAGE_TRAINING = "manage_training"
    TEACH = "teach"  # take attendance, record assessments and completion in one's cohorts
    ADVISE = "advise"  # prepare and review business plans with participants
    MANAGE_ASSOCIATIONS = "manage_associations"  # micro-business associations and clusters
    MANAGE_EVENTS = "manage_events"  # events, investor pipeline, cooperation agreements
    # Impact monitoring: instruments and follow-up rounds; entering and importing answers.
    MANAGE_SURVEYS = "manage_surveys"
    RECORD_RESPONSES = "record_responses"
    # Indicators, dashboards and donor reports of one's own organisation (within one's branches).
    SEE_REPORTS = "see_reports"
    RECORD_EXCHANGE_RATES = "record_exchange_rates"
    # Publish the organisation's anonymised figures to its networks, or stop sharing them.
    SHARE_WITH_NETWORK = "share_with_network"
    # A network's consolidated, anonymised figures of its members (never their records).
    SEE_NETWORK = "see_network"


ROLE_RIGHTS: dict[str, frozenset[Right]] = {
    Role.ADMINISTRATOR: frozenset(Right),
    Role.BRANCH_MANAGER: frozenset(
        {
            Right.SEE_RECORDS,
            Right.SEE_PROTECTED,
            Right.REGISTER,
            Right.RECORD_CONSENT,
            Right.MERGE,
            Right.EXPORT,
            Right.IMPORT,
            Right.MOVE_TO_TRAINING,
            Right.MOVE_TO_PLANNING,
            Right.MOVE_TO_BORROWER,
            Right.EXIT,
            Right.APPLY,
            Right.APPRAISE,
            Right.APPROVE,
            Right.DISBURSE,
            Right.CONFIRM_DISBURSEMENT,
            Right.COLLECT,
            Right.CORRECT,
            Right.REQUEST_CHANGE,
            Right.FOLLOW_UP,
            Right.MANAGE_GROUPS,
            Right.SEE_LEDGER,
            Right.MANAGE_TRAINING,
            Right.TEACH,
            Right.ADVISE,
            Right.MANAGE_ASSOCIATIONS,
            Right.MANAGE_EVENTS,
            Right.RECORD_RESPONSES,
            Right.SEE_REPORTS,
        }
    ),
    Role.INTAKE_OFFICER: frozenset(
        {
            Right.SEE_RECORDS,
            Right.SEE_PROTECTED,
            Right.REGISTER,
            Right.RECORD_CONSENT,
            Right.IMPORT,
            Right.EXIT,
            Right.RECORD_RESPONSES,
        }
    ),
    Role.TRAINER: frozenset({Right.SEE_RECORDS, Right.MOVE_TO_TRAINING, Right.TEACH}),
    # An advisor prepares the plan and, with it, the loan application the plan asks for.
    Role.BUSINESS_ADVISOR: frozenset(
        {
            Right.SEE_RECORDS,
            Right.MOVE_TO_PLANNING,
            Right.ADVISE,
            Right.APPLY,
            Right.MANAGE_ASSOCIATIONS,
        }
    ),
    Role.LOAN_APPRAISER: frozenset({Right.SEE_RECORDS, Right.APPRAISE}),
    Role.LOAN_OFFICER: frozenset(
        {
            Right.SEE_RECORDS,
            Right.EXPORT,
            Right.MOVE_TO_BORROWER,
            Right.APPLY,
            Right.DISBURSE,
            Right.COLLECT,
            Right.REQUEST_CHANGE,
            Right.FOLLOW_UP,
            Right.MANAGE_GROUPS,
        }
    ),
    Role.CREDIT_COMMITTEE: frozenset(
        {
            Right.SEE_RECORDS,
            Right.SEE_WHOLE_ORGANIZATION,
            Right.APPROVE,
            Right.DECIDE_CHANGE,
            Right.SEE_LEDGER,
            Right.SEE_REPORTS,
        }
    ),
    Role.ACCOUNTANT: frozenset(
        {
            Right.SEE_RECORDS,
            Right.SEE_WHOLE_ORGANIZATION,
            Right.EXPORT,
            Right.DISBURSE,
            Right.CONFIRM_DISBURSEMENT,
            Right.COLLECT,
            Right.CORRECT,
            Right.SEE_LEDGER,
            Right.RUN_CLOSE_OF_BUSINESS,
            Right.SEE_REPORTS,
            Right.RECORD_EXCHANGE_RATES,
        }
    ),
    Role.ME_OFFICER: frozenset(
        {
            Right.SEE_RECORDS,
            Right.SEE_WHOLE_ORGANIZATION,
            Right.SEE_PROTECTED,
            Right.RECORD_CONSENT,
            Right.EXPORT,
            Right.MANAGE_EVENTS,
            Right.MANAGE_SURVEYS,
            Right.RECORD_RESPONSES,
            Right.SEE_REPORTS,
            Right.RECORD_EXCHANGE_RATES,
            Right.SHARE_WITH_NETWORK,
        }
    ),
    Role.NETWORK_ANALYST: frozenset({Right.SEE_NETWORK}),
}

# The right needed to move a person *to* each stage of the pipeline (registry `Status` values).
STAGE_RIGHTS: dict[str, Right] = {
    "interested": Right.REGISTER,
    "registered": Right.REGISTER,
    "in_training": Right.MOVE_TO_TRAINING,
    "trained": Right.MOVE_TO_TRAINING,
    "planning": Right.MOVE_TO_PLANNING,
    "borrower": Right.MOVE_TO_BORROWER,
    "exited": Right.EXIT,
}


def has_right(user: object, right: Right) -> bool:
    """True if an active staff user's role grants `right`. Superusers hold every right."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return right in ROLE_RIGHTS.get(getattr(user, "role", ""), frozenset())


def is_platform_operator(user: object) -> bool:
    """A superuser with no organisation runs the platform and sees every organisation."""
    return bool(
        getattr(user, "is_active", False)
        and getattr(user, "is_superuser", False)
        and getattr(user, "organization_id", None) is None
    )
