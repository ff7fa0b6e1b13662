"""The association actions, each with its exact outcome, and each refusal checked to have
written nothing: members only of the organisation, one holder of an office at a time, meetings
with members only, dues in the organisation's currency, rights and branch scope."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from tandir.associations import actions
from tandir.associations.models import (
    ActivityParticipant,
    Association,
    DuesPayment,
    Meeting,
    MeetingAttendance,
    Membership,
    OfficeTerm,
    SupportActivity,
)
from tandir.associations.queries import association_page
from tandir.core.errors import NotAllowed, NotFound, TandirError
from tandir.orgs.models import Locality
from tests.associations.factories import (
    FOUNDED,
    Associations,
    association,
    build,
    with_members,
)
from tests.factories import World

D = Decimal
DAY = datetime.timedelta(days=1)
FUTURE = datetime.date(2099, 1, 1)


@pytest.fixture
def data(world: World) -> Associations:
    return build(world)


# --- The association ------------------------------------------------------------------------


def test_an_advisor_creates_an_association_of_a_sector_in_a_district(data: Associations) -> None:
    made = association(data)
    saved = Association.objects.get()
    assert saved.pk == made.pk
    assert saved.organization_id == data.world.org.pk
    assert saved.branch_id == data.world.branch_a.pk
    assert (saved.name, saved.kind, saved.sector) == (
        "Gyumri women traders",
        "association",
        "trade",
    )
    assert saved.district_id == data.world.district_a.pk
    assert saved.founded_on == FOUNDED
    assert saved.formed_with_programme is True
    assert saved.created_by_id == data.advisor.pk
    assert saved.history.count() == 1


def test_a_locality_alone_places_the_association_in_its_district(data: Associations) -> None:
    village = Locality.objects.create(district=data.world.district_b, name="Pemzashen")
    made = association(data, sector="", district=None, locality=village)
    assert made.district_id == data.world.district_b.pk
    assert made.locality_id == village.pk


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"sector": "", "district": None}, "needs_locality_or_sector"),
        ({"kind": "cluster", "district": None}, "cluster_needs_sector_and_area"),
        ({"kind": "cluster", "sector": ""}, "cluster_needs_sector_and_area"),
        ({"name": "  "}, "no_name"),
        ({"sector": "mining"}, "invalid_sector"),
        ({"kind": "club"}, "invalid_kind"),
    ],
)
def test_an_association_that_makes_no_sense_is_refused(
    data: Associations, fields: dict[str, object], code: str
) -> None:
    with pytest.raises(TandirError) as excinfo:
        association(data, **fields)
    assert excinfo.value.code == code
    assert not Association.objects.exists()


def test_a_founding_date_in_the_future_is_refused(data: Associations) -> None:
    with pytest.raises(TandirError) as excinfo:
        association(data, founded_on=FUTURE)
    assert excinfo.value.code == "future_date"
    assert not Association.objects.exists()


def test_a_locality_of_another_district_is_refused(data: Associations) -> None:
    village = Locality.objects.create(district=data.world.district_b, name="Pemzashen")
    with pytest.raises(TandirError) as excinfo:
        association(data, locality=village)
    assert excinfo.value.code == "locality_elsewhere"
    assert not Association.objects.exists()


def test_a_cluster_groups_one_sector_and_area(data: Associations) -> None:
    cluster = association(data, kind="cluster", name="Shirak dairy cluster", sector="livestock")
    assert (cluster.kind, cluster.sector, cluster.district_id) == (
        "cluster",
        "livestock",
        data.world.district_a.pk,
    )


def test_roles_without_the_right_create_nothing(data: Associations) -> None:
    for user in (
        data.trainer,
        data.world.intake_a,
        data.world.loan_officer_a,
        data.world.me_officer,
    ):
        with pytest.raises(NotAllowed):
            actions.create_association(
                user, data.world.branch_a, name="X", founded_on=FOUNDED, sector="trade"
            )
    assert not Association.objects.exists()


def test_a_manager_of_branch_b_cannot_create_in_branch_a(data: Associations) -> None:
    with pytest.raises(NotFound):
        actions.create_association(
            data.manager_b, data.world.branch_a, name="X", founded_on=FOUNDED, sector="trade"
        )
    with pytest.raises(NotFound):
        actions.create_association(
            data.world.admin,
            data.world.other_branch,
            name="X",
            founded_on=FOUNDED,
            sector="trade",
        )
    assert not Association.objects.exists()


def test_updating_keeps_the_history_and_refuses_a_founding_after_members(
    data: Associations,
) -> None:
    made, _members = with_members(data, 1)
    updated = actions.update_association(
        data.manager,
        made,
        name="Gyumri traders",
        founded_on=FOUNDED - DAY,
        kind="association",
        sector="services",
        district=data.world.district_a,
    )
    assert (updated.name, updated.sector, updated.founded_on) == (
        "Gyumri traders",
        "services",
        FOUNDED - DAY,
    )
    with pytest.raises(TandirError) as excinfo:
        actions.update_association(
            data.manager,
            made,
            name="Later",
            founded_on=FOUNDED + DAY,
            kind="association",
            sector="services",
        )
    assert excinfo.value.code == "founded_after_members"
    made.refresh_from_db()
    assert made.name == "Gyumri traders"
    assert made.history.count() == 2


def test_someone_outside_the_branch_cannot_update(data: Associations) -> None:
    made = association(data)
    with pytest.raises(NotFound):
        actions.update_association(
            data.manager_b,
            made,
            name="Taken",
            founded_on=FOUNDED,
            kind="association",
            sector="trade",
        )
    made.refresh_from_db()
    assert made.name == "Gyumri women traders"


# --- Members --------------------------------------------------------------------------------


def test_a_participant_joins_and_leaves(data: Associations) -> None:
    made = association(data)
    member = actions.add_member(
        data.advisor, made, data.people[0], joined_on=FOUNDED, business_name="Anahit's bakery"
    )
    assert (member.organization_id, member.association_id, member.beneficiary_id) == (
        data.world.org.pk,
        made.pk,
        data.people[0].pk,
    )
    assert (member.joined_on, member.left_on, member.business_name) == (
        FOUNDED,
        None,
        "Anahit's bakery",
    )
    left = actions.end_membership(data.advisor, member, left_on=FOUNDED + DAY * 30)
    assert Membership.objects.get(pk=left.pk).left_on == FOUNDED + DAY * 30
    # Back after leaving: a second membership, later than the first.
    again = actions.add_member(data.advisor, made, data.people[0], joined_on=FOUNDED + DAY * 40)
    assert Membership.objects.filter(beneficiary=data.people[0]).count() == 2
    assert again.left_on is None


@pytest.mark.parametrize(
    ("who", "joined", "code"),
    [
        ("same", FOUNDED, "already_member"),
        ("other", FOUNDED - DAY, "before_founding"),
        ("other", FUTURE, "future_date"),
    ],
)
def test_a_membership_that_makes_no_sense_is_refused(
    data: Associations, who: str, joined: datetime.date, code: str
) -> None:
    made = association(data)
    actions.add_member(data.advisor, made, data.people[0], joined_on=FOUNDED)
    person = data.people[0] if who == "same" else data.people[1]
    with pytest.raises(TandirError) as excinfo:
        actions.add_member(data.advisor, made, person, joined_on=joined)
    assert excinfo.value.code == code
    assert Membership.objects.count() == 1


def test_rejoining_inside_an_earlier_membership_is_refused(data: Associations) -> None:
    made = association(data)
    first = actions.add_member(data.advisor, made, data.people[0], joined_on=FOUNDED)
    actions.end_membership(data.advisor, first, left_on=FOUNDED + DAY * 10)
    with pytest.raises(TandirError) as excinfo:
        actions.add_member(data.advisor, made, data.people[0], joined_on=FOUNDED + DAY * 5)
    assert excinfo.value.code == "overlapping_membership"
    assert Membership.objects.count() == 1


def test_a_participant_of_another_organisation_cannot_join(data: Associations) -> None:
    made = association(data)
    with pytest.raises(TandirError) as excinfo:
        actions.add_member(data.world.admin, made, data.outsider, joined_on=FOUNDED)
    assert excinfo.value.code == "other_organization"
    assert not Membership.objects.exists()


def test_a_participant_outside_the_officers_branches_is_not_found(data: Associations) -> None:
    made = association(data)
    with pytest.raises(NotFound):
        actions.add_member(data.advisor, made, data.person_b, joined_on=FOUNDED)
    assert not Membership.objects.exists()
    # The whole organisation's administrator may add them: members come from the organisation.
    actions.add_member(data.world.admin, made, data.person_b, joined_on=FOUNDED)
    assert Membership.objects.get().beneficiary_id == data.person_b.pk


def test_leaving_before_joining_or_twice_is_refused(data: Associations) -> None:
    _made, (member, *_rest) = with_members(data, 1)
    with pytest.raises(TandirError) as excinfo:
        actions.end_membership(data.advisor, member, left_on=FOUNDED - DAY)
    assert excinfo.value.code == "left_before_joining"
    actions.end_membership(data.advisor, member, left_on=FOUNDED + DAY)
    with pytest.raises(TandirError) as excinfo:
        actions.end_membership(data.advisor, member, left_on=FOUNDED + DAY * 3)
    assert excinfo.value.code == "already_left"
    assert Membership.objects.get().left_on == FOUNDED + DAY


# --- Officers -------------------------------------------------------------------------------


def test_a_member_is_elected_chair_and_the_term_ends(data: Associations) -> None:
    made, (chair, *_rest) = with_members(data, 2)
    term = actions.elect_officer(data.advisor, made, chair, office="chair", starts_on=FOUNDED + DAY)
    assert (term.organization_id, term.membership_id, term.office) == (
        data.world.org.pk,
        chair.pk,
        "chair",
    )
    assert (term.starts_on, term.ends_on, term.elected_by_id) == (
        FOUNDED + DAY,
        None,
        data.advisor.pk,
    )
    ended = actions.end_term(data.advisor, term, ends_on=FOUNDED + DAY * 100)
    assert OfficeTerm.objects.get(pk=ended.pk).ends_on == FOUNDED + DAY * 100


def test_two_holders_of_one_office_at_once_are_refused(data: Associations) -> None:
    made, (first, second, _third) = with_members(data, 3)
    actions.elect_officer(
        data.advisor, made, first, office="chair", starts_on=FOUNDED, ends_on=FOUNDED + DAY * 60
    )
    with pytest.raises(TandirError) as excinfo:
        actions.elect_officer(
            data.advisor, made, second, office="chair", starts_on=FOUNDED + DAY * 60
        )
    assert excinfo.value.code == "office_taken"
    assert "Member0" in excinfo.value.message
    assert OfficeTerm.objects.count() == 1
    # The day after the term ends, the office is free.
    actions.elect_officer(data.advisor, made, second, office="chair", starts_on=FOUNDED + DAY * 61)
    assert OfficeTerm.objects.count() == 2


def test_an_open_ended_term_blocks_every_later_holder(data: Associations) -> None:
    made, (first, second, _third) = with_members(data, 3)
    actions.elect_officer(data.advisor, made, first, office="treasurer", starts_on=FOUNDED + DAY)
    with pytest.raises(TandirError) as excinfo:
        actions.elect_officer(
            data.advisor, made, second, office="treasurer", starts_on=FOUNDED,
            ends_on=FOUNDED + DAY,
        )  # fmt: skip
    assert excinfo.value.code == "office_taken"
    assert OfficeTerm.objects.count() == 1


def test_one_member_holds_one_office_at_a_time(data: Associations) -> None:
    made, (first, *_rest) = with_members(data, 2)
    actions.elect_officer(data.advisor, made, first, office="chair", starts_on=FOUNDED)
    with pytest.raises(TandirError) as excinfo:
        actions.elect_officer(data.advisor, made, first, office="secretary", starts_on=FOUNDED)
    assert excinfo.value.code == "holds_another_office"
    assert OfficeTerm.objects.count() == 1


def test_only_a_member_holds_an_office(data: Associations) -> None:
    made, (member, *_rest) = with_members(data, 2, joined_on=FOUNDED + DAY * 10)
    with pytest.raises(TandirError) as excinfo:
        actions.elect_officer(data.advisor, made, member, office="chair", starts_on=FOUNDED)
    assert excinfo.value.code == "not_a_member"
    other = association(data, name="Other")
    stranger = actions.add_member(data.advisor, other, data.people[3], joined_on=FOUNDED)
    with pytest.raises(NotFound):
        actions.elect_officer(
            data.advisor, made, stranger, office="chair", starts_on=FOUNDED + DAY * 10
        )
    assert not OfficeTerm.objects.exists()


def test_leaving_ends_the_office_the_same_day(data: Associations) -> None:
    made, (member, *_rest) = with_members(data, 1)
    term = actions.elect_officer(data.advisor, made, member, office="secretary", starts_on=FOUNDED)
    actions.end_membership(data.advisor, member, left_on=FOUNDED + DAY * 20)
    term.refresh_from_db()
    assert term.ends_on == FOUNDED + DAY * 20


def test_a_term_cannot_end_before_it_starts(data: Associations) -> None:
    made, (member, *_rest) = with_members(data, 1)
    term = actions.elect_officer(
        data.advisor, made, member, office="chair", starts_on=FOUNDED + DAY * 5
    )
    with pytest.raises(TandirError) as excinfo:
        actions.end_term(data.advisor, term, ends_on=FOUNDED)
    assert excinfo.value.code == "term_dates"
    term.refresh_from_db()
    assert term.ends_on is None


# --- Meetings -------------------------------------------------------------------------------


def test_a_meeting_is_recorded_with_the_members_present_and_minutes(data: Associations) -> None:
    made, members = with_members(data, 3)
    meeting = actions.record_meeting(
        data.advisor,
        made,
        held_on=FOUNDED + DAY * 7,
        present=[data.people[0].pk, data.people[2].pk],
        place="Community hall",
        minutes="Agreed to buy flour together.",
    )
    saved = Meeting.objects.get()
    assert saved.pk == meeting.pk
    assert (saved.organization_id, saved.held_on, saved.place) == (
        data.world.org.pk,
        FOUNDED + DAY * 7,
        "Community hall",
    )
    assert saved.minutes == "Agreed to buy flour together."
    assert set(MeetingAttendance.objects.values_list("membership_id", flat=True)) == {
        members[0].pk,
        members[2].pk,
    }
    assert set(MeetingAttendance.objects.values_list("organization_id", flat=True)) == {
        data.world.org.pk
    }


def test_a_meeting_with_a_member_of_another_organisation_is_refused(data: Associations) -> None:
    made, _members = with_members(data, 2)
    with pytest.raises(TandirError) as excinfo:
        actions.record_meeting(
            data.advisor,
            made,
            held_on=FOUNDED + DAY,
            present=[data.people[0].pk, data.outsider.pk],
        )
    assert excinfo.value.code == "other_organization"
    assert "Outside" not in excinfo.value.message  # another organisation's name is not shown
    assert not Meeting.objects.exists()
    assert not MeetingAttendance.objects.exists()


def test_a_meeting_with_non_members_is_refused_naming_every_one(data: Associations) -> None:
    made, _members = with_members(data, 2)
    with pytest.raises(TandirError) as excinfo:
        actions.record_meeting(
            data.advisor,
            made,
            held_on=FOUNDED + DAY,
            present=[data.people[0].pk, data.people[2].pk, data.people[3].pk],
        )
    assert excinfo.value.code == "not_members"
    assert "Member2 Surname2" in excinfo.value.message
    assert "Member3 Surname3" in excinfo.value.message
    assert excinfo.value.details["people"] == [data.people[2].pk, data.people[3].pk]
    assert not Meeting.objects.exists()


def test_a_member_who_joined_later_was_not_at_an_earlier_meeting(data: Associations) -> None:
    made, _members = with_members(data, 1)
    actions.add_member(data.advisor, made, data.people[1], joined_on=FOUNDED + DAY * 10)
    with pytest.raises(TandirError) as excinfo:
        actions.record_meeting(
            data.advisor, made, held_on=FOUNDED + DAY * 5, present=[data.people[1].pk]
        )
    assert excinfo.value.code == "not_members"
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    ("held_on", "present", "code"),
    [
        (FOUNDED - DAY, True, "before_founding"),
        (FUTURE, True, "future_date"),
        (FOUNDED + DAY, False, "no_attendance"),
    ],
)
def test_a_meeting_that_makes_no_sense_is_refused(
    data: Associations, held_on: datetime.date, present: bool, code: str
) -> None:
    made, _members = with_members(data, 1)
    with pytest.raises(TandirError) as excinfo:
        actions.record_meeting(
            data.advisor, made, held_on=held_on, present=[data.people[0].pk] if present else []
        )
    assert excinfo.value.code == code
    assert not Meeting.objects.exists()


def test_one_meeting_a_day(data: Associations) -> None:
    made, _members = with_members(data, 1)
    actions.record_meeting(data.advisor, made, held_on=FOUNDED, present=[data.people[0].pk])
    with pytest.raises(TandirError) as excinfo:
        actions.record_meeting(data.advisor, made, held_on=FOUNDED, present=[data.people[0].pk])
    assert excinfo.value.code == "meeting_recorded"
    assert Meeting.objects.count() == 1


def test_a_trainer_cannot_record_a_meeting(data: Associations) -> None:
    made, _members = with_members(data, 1)
    with pytest.raises(NotAllowed):
        actions.record_meeting(data.trainer, made, held_on=FOUNDED, present=[data.people[0].pk])
    with pytest.raises(NotFound):
        actions.record_meeting(data.manager_b, made, held_on=FOUNDED, present=[data.people[0].pk])
    assert not Meeting.objects.exists()


# --- Dues -----------------------------------------------------------------------------------


def test_dues_are_set_in_the_organisations_currency(data: Associations) -> None:
    made = association(data)
    actions.set_dues(data.advisor, made, amount=D("2000"), period="monthly", since=FOUNDED)
    made.refresh_from_db()
    assert (made.dues_amount, made.dues_currency, made.dues_period, made.dues_since) == (
        D("2000"),
        "AMD",
        "monthly",
        FOUNDED,
    )
    actions.set_dues(data.advisor, made, amount=None)
    made.refresh_from_db()
    assert (made.dues_amount, made.dues_currency, made.dues_period) == (None, "", "")


@pytest.mark.parametrize(
    ("amount", "period", "since", "code"),
    [
        (D("0"), "monthly", FOUNDED, "invalid_amount"),
        (D("-5"), "monthly", FOUNDED, "invalid_amount"),
        (D("10.001"), "monthly", FOUNDED, "invalid_amount"),
        (D("10"), "weekly", FOUNDED, "invalid_period"),
        (D("10"), "monthly", None, "no_start"),
        (D("10"), "monthly", FOUNDED - DAY, "before_founding"),
    ],
)
def test_dues_that_make_no_sense_are_refused(
    data: Associations,
    amount: Decimal,
    period: str,
    since: datetime.date | None,
    code: str,
) -> None:
    made = association(data)
    with pytest.raises(TandirError) as excinfo:
        actions.set_dues(data.advisor, made, amount=amount, period=period, since=since)
    assert excinfo.value.code == code
    made.refresh_from_db()
    assert made.dues_amount is None


def test_payments_are_recorded_and_who_is_behind_follows(data: Associations) -> None:
    made, (first, second, third) = with_members(data, 3)
    made = actions.set_dues(data.advisor, made, amount=D("1500"), period="monthly", since=FOUNDED)
    payment = actions.record_dues_payment(
        data.advisor, first, amount=D("4500"), paid_on=FOUNDED + DAY * 3, note="Jan–Mar"
    )
    assert (payment.organization_id, payment.amount, payment.currency) == (
        data.world.org.pk,
        D("4500"),
        "AMD",
    )
    actions.record_dues_payment(data.advisor, second, amount=D("1500"), paid_on=FOUNDED)
    page = association_page(made, datetime.date(2026, 3, 15))
    behind = {
        row.membership.pk: (row.standing.behind if row.standing else None, row.periods_behind)
        for row in page.members
    }
    # January, February and March are owed by 15 March: 4,500 each.
    assert behind == {first.pk: (D(0), 0), second.pk: (D(3000), 2), third.pk: (D(4500), 3)}
    assert page.behind == 2
    assert (page.dues_owed, page.dues_paid) == (D(13500), D(6000))


@pytest.mark.parametrize(
    ("amount", "paid_on", "code"),
    [
        (D("0"), FOUNDED, "invalid_amount"),
        (D("100.005"), FOUNDED, "invalid_amount"),  # AMD has two decimals
        (D("100"), FOUNDED - DAY, "before_joining"),
        (D("100"), FUTURE, "future_date"),
    ],
)
def test_a_payment_that_makes_no_sense_is_refused(
    data: Associations, amount: Decimal, paid_on: datetime.date, code: str
) -> None:
    made, (member, *_rest) = with_members(data, 1)
    actions.set_dues(data.advisor, made, amount=D("1500"), period="monthly", since=FOUNDED)
    with pytest.raises(TandirError) as excinfo:
        actions.record_dues_payment(data.advisor, member, amount=amount, paid_on=paid_on)
    assert excinfo.value.code == code
    assert not DuesPayment.objects.exists()


def test_no_payment_without_dues(data: Associations) -> None:
    _made, (member, *_rest) = with_members(data, 1)
    with pytest.raises(TandirError) as excinfo:
        actions.record_dues_payment(data.advisor, member, amount=D("100"), paid_on=FOUNDED)
    assert excinfo.value.code == "no_dues"
    assert not DuesPayment.objects.exists()


# --- Support activities ---------------------------------------------------------------------


def test_an_activity_is_recorded_with_its_participants(data: Associations) -> None:
    made, members = with_members(data, 3)
    activity = actions.record_activity(
        data.advisor,
        made,
        kind="joint_purchasing",
        held_on=FOUNDED + DAY * 20,
        description="Bought 2 tonnes of flour from the mill together.",
        participants=5,
        members=[data.people[0].pk, data.people[1].pk],
    )
    saved = SupportActivity.objects.get()
    assert saved.pk == activity.pk
    assert (saved.kind, saved.participants, saved.held_on) == (
        "joint_purchasing",
        5,
        FOUNDED + DAY * 20,
    )
    assert set(ActivityParticipant.objects.values_list("membership_id", flat=True)) == {
        members[0].pk,
        members[1].pk,
    }


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"participants": 1}, "too_few_participants"),
        ({"description": " "}, "no_description"),
        ({"kind": "party"}, "invalid_kind"),
        ({"members": "outsider"}, "other_organization"),
        ({"held_on": FOUNDED - DAY}, "before_founding"),
    ],
)
def test_an_activity_that_makes_no_sense_is_refused(
    data: Associations, changes: dict[str, object], code: str
) -> None:
    made, _members = with_members(data, 2)
    fields: dict[str, object] = {
        "kind": "market_day",
        "held_on": FOUNDED + DAY,
        "description": "Saturday market",
        "participants": 10,
        "members": [data.people[0].pk, data.people[1].pk],
    }
    fields.update(changes)
    if fields["members"] == "outsider":
        fields["members"] = [data.outsider.pk]
    with pytest.raises(TandirError) as excinfo:
        actions.record_activity(data.advisor, made, **fields)  # type: ignore[arg-type]
    assert excinfo.value.code == code
    assert not SupportActivity.objects.exists()
    assert not ActivityParticipant.objects.exists()


def test_every_business_table_of_associations_carries_its_organisation() -> None:
    from django.apps import apps

    for model in apps.get_app_config("associations").get_models():
        assert "organization_id" in {f.attname for f in model._meta.concrete_fields}, model
