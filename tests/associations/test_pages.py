"""The association pages: each form writes through its action, a bad form writes nothing and
says why, a role without the right gets the 403 page, another organisation's or branch's
association is a 404, and the list and detail pages make a fixed number of queries."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from tandir.associations import actions
from tandir.associations.models import (
    Association,
    DuesPayment,
    Meeting,
    Membership,
    OfficeTerm,
    SupportActivity,
)
from tests.associations.factories import (
    FOUNDED,
    Associations,
    association,
    build,
    client_for,
    person,
    with_members,
)
from tests.factories import World

D = Decimal
DAY = datetime.timedelta(days=1)


@pytest.fixture
def data(world: World) -> Associations:
    return build(world)


def _text(response: Any) -> str:
    return response.content.decode()


def test_an_advisor_creates_an_association_through_the_form(data: Associations) -> None:
    response = client_for(data.advisor).post(
        "/associations/new/",
        {
            "branch": data.world.branch_a.pk,
            "kind": "association",
            "name": "Artik craftswomen",
            "sector": "crafts",
            "district": data.world.district_b.pk,
            "founded_on": "2026-02-01",
            "formed_with_programme": "on",
            "purpose": "Sell carpets together",
        },
    )
    made = Association.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/associations/{made.pk}/"
    assert (made.name, made.sector, made.district_id, made.founded_on) == (
        "Artik craftswomen",
        "crafts",
        data.world.district_b.pk,
        datetime.date(2026, 2, 1),
    )
    assert made.formed_with_programme is True


def test_a_cluster_without_a_sector_is_refused_with_a_clear_message(data: Associations) -> None:
    response = client_for(data.advisor).post(
        "/associations/new/",
        {
            "branch": data.world.branch_a.pk,
            "kind": "cluster",
            "name": "Cluster",
            "district": data.world.district_a.pk,
            "founded_on": "2026-02-01",
        },
    )
    assert response.status_code == 200
    assert "A cluster groups businesses of one sector and area" in _text(response)
    assert not Association.objects.exists()


def test_the_list_shows_size_and_last_meeting(data: Associations) -> None:
    made, _members = with_members(data, 3)
    actions.record_meeting(
        data.advisor, made, held_on=datetime.date(2026, 3, 4), present=[data.people[0].pk]
    )
    association(data, name="Empty one")
    response = client_for(data.advisor).get("/associations/")
    text = _text(response)
    assert response.status_code == 200
    assert "Gyumri women traders" in text and "Empty one" in text
    assert "Mar 4, 2026" in text
    assert ">3</td>" in text
    assert "none yet" in text


def test_a_role_without_the_right_gets_the_403_page_in_its_language(data: Associations) -> None:
    made = association(data)
    client = client_for(data.trainer)
    for path in ("/associations/", f"/associations/{made.pk}/", "/associations/support/"):
        response = client.get(path)
        assert response.status_code == 403
        assert "Your role does not allow this page" in _text(response)
    client.post("/i18n/setlang/", {"language": "hy", "next": "/"})
    response = client.get("/associations/")
    assert response.status_code == 403
    assert 'lang="hy"' in _text(response)
    response = client.post(
        "/associations/new/",
        {"branch": data.world.branch_a.pk, "kind": "association", "name": "X",
         "sector": "trade", "founded_on": "2026-02-01"},
    )  # fmt: skip
    assert response.status_code == 403
    assert Association.objects.count() == 1


def test_another_organisations_or_branchs_association_is_a_404(data: Associations) -> None:
    made, (member, *_rest) = with_members(data, 1)
    outsider = client_for(data.world.other_intake)
    # The other organisation's intake officer has no right at all: 403 before any lookup.
    assert outsider.get(f"/associations/{made.pk}/").status_code == 403
    from tests.factories import make_user

    other_manager = make_user(
        data.world.other_org, "branch_manager", [data.world.other_branch], "other_manager"
    )
    other = client_for(other_manager)
    paths = [
        f"/associations/{made.pk}/",
        f"/associations/{made.pk}/edit/",
        f"/associations/{made.pk}/meetings/new/",
        f"/associations/{made.pk}/members/add/",
        f"/associations/{made.pk}/members/{member.pk}/leave/",
    ]
    for path in paths:
        assert other.get(path).status_code == 404, path
    assert "Gyumri" not in _text(other.get("/associations/"))
    branch_b = client_for(data.manager_b)
    assert branch_b.get(f"/associations/{made.pk}/").status_code == 404
    response = branch_b.post(
        f"/associations/{made.pk}/meetings/new/",
        {"held_on": "2026-02-01", "present": [data.people[0].pk]},
    )
    assert response.status_code == 404
    assert not Meeting.objects.exists()


def test_the_detail_page_shows_members_officers_meetings_dues_and_activities(
    data: Associations,
) -> None:
    made, (chair, second, _third) = with_members(data, 3)
    actions.elect_officer(data.advisor, made, chair, office="chair", starts_on=FOUNDED)
    actions.set_dues(data.advisor, made, amount=D("1000"), period="monthly", since=FOUNDED)
    actions.record_dues_payment(data.advisor, second, amount=D("1000"), paid_on=FOUNDED)
    actions.record_meeting(
        data.advisor, made, held_on=FOUNDED + DAY, present=[data.people[0].pk],
        minutes="We elected a chair.",
    )  # fmt: skip
    actions.record_activity(
        data.advisor, made, kind="market_day", held_on=FOUNDED + DAY * 2,
        description="Saturday market in the square", participants=12,
        members=[data.people[1].pk],
    )  # fmt: skip
    response = client_for(data.manager).get(f"/associations/{made.pk}/")
    text = _text(response)
    assert response.status_code == 200
    for expected in (
        "Member0 Surname0",
        "Member2 Surname2",
        "Chair",
        "Saturday market in the square",
        "Market day",
        "AMD\xa01,000 every month, payable from Jan 10, 2026",
    ):
        assert expected in text, expected
    assert 'id="members-behind">3<' in text  # nobody has paid every month to today


def test_a_member_is_added_through_the_search_form(data: Associations) -> None:
    made = association(data)
    client = client_for(data.advisor)
    found = client.get(f"/associations/{made.pk}/members/add/", {"q": "Member1"})
    assert "Member1 Surname1" in _text(found)
    response = client.post(
        f"/associations/{made.pk}/members/add/",
        {"beneficiary": data.people[1].pk, "joined_on": "2026-02-03", "business_name": "Shoes"},
    )
    assert response.status_code == 302
    member = Membership.objects.get()
    assert (member.beneficiary_id, member.joined_on, member.business_name) == (
        data.people[1].pk,
        datetime.date(2026, 2, 3),
        "Shoes",
    )
    again = client.post(
        f"/associations/{made.pk}/members/add/",
        {"beneficiary": data.people[1].pk, "joined_on": "2026-02-04"},
    )
    assert again.status_code == 200
    assert "is already a member" in _text(again)
    assert Membership.objects.count() == 1


def test_someone_of_another_organisation_cannot_be_added_by_form(data: Associations) -> None:
    made = association(data)
    response = client_for(data.advisor).post(
        f"/associations/{made.pk}/members/add/",
        {"beneficiary": data.outsider.pk, "joined_on": "2026-02-03"},
    )
    assert response.status_code == 404
    assert not Membership.objects.exists()


def test_a_meeting_form_with_a_non_member_says_who_and_writes_nothing(
    data: Associations,
) -> None:
    made, _members = with_members(data, 2)
    client = client_for(data.advisor)
    form = client.get(f"/associations/{made.pk}/meetings/new/")
    assert "Member1 Surname1" in _text(form)
    response = client.post(
        f"/associations/{made.pk}/meetings/new/",
        {
            "held_on": "2026-02-05",
            "present": [data.people[0].pk, data.people[3].pk],
            "minutes": "x",
        },
    )
    assert response.status_code == 200
    assert "Not members of the association on that day: Member3 Surname3." in _text(response)
    assert not Meeting.objects.exists()
    response = client.post(
        f"/associations/{made.pk}/meetings/new/",
        {"held_on": "2026-02-05", "present": [data.people[0].pk, data.outsider.pk]},
    )
    assert "are not participants of this organisation" in _text(response)
    assert "Outside" not in _text(response)
    assert not Meeting.objects.exists()
    response = client.post(
        f"/associations/{made.pk}/meetings/new/",
        {
            "held_on": "2026-02-05",
            "place": "School",
            "present": [data.people[0].pk, data.people[1].pk],
            "minutes": "Line one\nLine two",
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/associations/{made.pk}/meetings/{meeting.pk}/"
    page = _text(client.get(response["Location"]))
    assert "Line one\nLine two" in page and "Member1 Surname1" in page


def test_elections_terms_dues_payments_and_activities_through_their_forms(
    data: Associations,
) -> None:
    made, (first, second, _third) = with_members(data, 3)
    client = client_for(data.manager)
    base = f"/associations/{made.pk}"
    assert (
        client.post(
            f"{base}/officers/elect/",
            {"membership": first.pk, "office": "treasurer", "starts_on": "2026-01-15"},
        ).status_code
        == 302
    )
    taken = client.post(
        f"{base}/officers/elect/",
        {"membership": second.pk, "office": "treasurer", "starts_on": "2026-02-15"},
    )
    assert "holds the office of Treasurer then" in _text(taken)
    term = OfficeTerm.objects.get()
    assert (term.membership_id, term.office, term.starts_on) == (
        first.pk,
        "treasurer",
        datetime.date(2026, 1, 15),
    )
    assert (
        client.post(f"{base}/officers/{term.pk}/end/", {"ends_on": "2026-03-01"}).status_code == 302
    )
    term.refresh_from_db()
    assert term.ends_on == datetime.date(2026, 3, 1)

    # No dues yet: the payment page sends back to the association.
    assert client.get(f"{base}/payments/new/").status_code == 302
    assert (
        client.post(
            f"{base}/dues/", {"amount": "500", "period": "quarterly", "since": "2026-01-10"}
        ).status_code
        == 302
    )
    made.refresh_from_db()
    assert (made.dues_amount, made.dues_period) == (D(500), "quarterly")
    assert (
        client.post(
            f"{base}/payments/new/",
            {"membership": second.pk, "amount": "500", "paid_on": "2026-01-20"},
        ).status_code
        == 302
    )
    payment = DuesPayment.objects.get()
    assert (payment.membership_id, payment.amount, payment.currency) == (second.pk, D(500), "AMD")
    bad = client.post(
        f"{base}/payments/new/",
        {"membership": second.pk, "amount": "-1", "paid_on": "2026-01-20"},
    )
    assert bad.status_code == 200
    assert DuesPayment.objects.count() == 1

    assert (
        client.post(
            f"{base}/activities/new/",
            {
                "kind": "training",
                "held_on": "2026-02-10",
                "description": "Book-keeping for traders",
                "participants": "8",
                "members": [data.people[0].pk, data.people[2].pk],
            },
        ).status_code
        == 302
    )
    activity = SupportActivity.objects.get()
    assert (activity.kind, activity.participants, activity.members.count()) == ("training", 8, 2)

    assert (
        client.post(f"{base}/members/{second.pk}/leave/", {"left_on": "2026-04-01"}).status_code
        == 302
    )
    second.refresh_from_db()
    assert second.left_on == datetime.date(2026, 4, 1)


def test_the_support_page_counts_members_and_meetings_per_quarter(data: Associations) -> None:
    made, members = with_members(data, 2)
    actions.add_member(data.advisor, made, data.people[2], joined_on=datetime.date(2026, 4, 2))
    actions.end_membership(data.advisor, members[0], left_on=datetime.date(2026, 5, 5))
    for day in (datetime.date(2026, 2, 1), datetime.date(2026, 3, 1), datetime.date(2026, 5, 9)):
        actions.record_meeting(data.advisor, made, held_on=day, present=[data.people[1].pk])
    association(data, name="Not helped", formed_with_programme=False)
    response = client_for(data.advisor).get("/associations/support/")
    text = _text(response)
    assert response.status_code == 200
    assert "<svg" in text and "<polyline" in text
    assert "Not helped" not in text
    assert 'id="formed-count">1<' in text
    quarters = text.split('id="quarters"')[1]
    rows = quarters.split("<tr>")[2:]
    # Q1 2026: 2 members at the end, 2 joined, 2 meetings; Q2: 2 (one left, one joined), 1, 1.
    assert "Q1 2026" in rows[0]
    cells = [c.split("<")[0] for c in rows[0].split('class="num">')[1:]]
    assert cells == ["1", "2", "2", "2", "0"]
    cells = [c.split("<")[0] for c in rows[1].split('class="num">')[1:]]
    assert cells == ["1", "2", "1", "1", "0"]
    everyone = _text(client_for(data.advisor).get("/associations/support/?all=1"))
    assert "Not helped" in everyone


def _count(client: Client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["list", "detail", "support"])
def test_the_association_pages_make_a_fixed_number_of_queries(
    data: Associations, page: str, django_assert_num_queries: Any
) -> None:
    made, members = with_members(data, 2)
    actions.set_dues(data.advisor, made, amount=D("1000"), period="monthly", since=FOUNDED)
    actions.elect_officer(data.advisor, made, members[0], office="chair", starts_on=FOUNDED)
    actions.record_meeting(data.advisor, made, held_on=FOUNDED, present=[data.people[0].pk])
    paths = {
        "list": "/associations/",
        "detail": f"/associations/{made.pk}/",
        "support": "/associations/support/",
    }
    client = client_for(data.advisor)
    client.get(paths[page])  # the first request of a session fills caches
    small = _count(client, paths[page])
    for n in range(10, 16):
        someone = person(data.world, n)
        membership = actions.add_member(data.advisor, made, someone, joined_on=FOUNDED)
        actions.record_dues_payment(data.advisor, membership, amount=D(1000), paid_on=FOUNDED)
        association(data, name=f"Association {n}")
    actions.elect_officer(data.advisor, made, members[1], office="secretary", starts_on=FOUNDED)
    actions.record_meeting(
        data.advisor, made, held_on=FOUNDED + DAY, present=[data.people[0].pk, data.people[1].pk]
    )
    # Session and user, then: the list (one query with sizes and last meetings); the
    # association, its members, terms, dues paid, meetings, activities and payments; the
    # associations, their meetings, activities and members' dates.
    expected = {"list": 3, "detail": 9, "support": 6}
    with django_assert_num_queries(expected[page]):
        assert client.get(paths[page]).status_code == 200
    assert small == expected[page]


def test_the_m_and_e_officer_reads_the_support_page_but_not_the_members(
    data: Associations,
) -> None:
    made, _members = with_members(data, 2)
    client = client_for(data.world.me_officer)
    response = client.get("/associations/support/")
    text = _text(response)
    assert response.status_code == 200
    assert made.name in text
    assert f"/associations/{made.pk}/" not in text
    assert client.get(f"/associations/{made.pk}/").status_code == 403
