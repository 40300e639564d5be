"""The REST API of interactions, follow-ups, open problems and feedback (interactions/api.py)."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from interactions.models import Feedback, FollowUp, Interaction, OpenProblem
from tests.factories import (
    AccountFactory,
    ContactFactory,
    FeedbackFactory,
    FollowUpFactory,
    InteractionFactory,
    OpenProblemFactory,
    UserFactory,
)

from ..api_clients import client_for, ids, token_client

pytestmark = pytest.mark.django_db

INTERACTIONS = "/api/v1/interactions/"
FOLLOW_UPS = "/api/v1/follow-ups/"
PROBLEMS = "/api/v1/problems/"
FEEDBACK = "/api/v1/feedback/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


# --- logging an interaction ---------------------------------------------------------------


def test_token_client_logs_a_call_and_the_account_is_contacted(csm, book):
    account = book["mine"]
    champion = ContactFactory(account=account, is_champion=True)
    when = timezone.now() - dt.timedelta(hours=2)
    response = token_client(csm).post(
        INTERACTIONS,
        {
            "account": account.pk,
            "kind": "call",
            "occurred_at": when.isoformat(),
            "summary": "  Renewal talk ",
            "contacts": [champion.pk],
            "sentiment": "positive",
            "next_steps": "Send the offer",
            "follow_up_due": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["summary"] == "Renewal talk"
    assert data["author"] == csm.pk
    assert data["contacts"] == [champion.pk]
    assert (data["tone"], data["sentiment"]) == ("positive", "positive")  # the old name still works
    assert "follow_up_due" not in data
    account.refresh_from_db()
    assert account.last_meeting_or_call_at == when
    follow_up = FollowUp.objects.get(interaction_id=data["id"])
    assert follow_up.title == "Send the offer"
    assert follow_up.owner == csm


def test_the_tone_is_given_by_its_name_and_filtered_by_either(csm):
    account = AccountFactory(owner=csm)
    client = token_client(csm)
    posted = client.post(
        INTERACTIONS,
        {"account": account.pk, "kind": "note", "summary": "Grumpy", "tone": "negative"},
        format="json",
    )
    assert posted.status_code == 201, posted.json()
    assert Interaction.objects.get(pk=posted.json()["id"]).tone == "negative"
    client.post(INTERACTIONS, {"account": account.pk, "kind": "note", "summary": "Fine"})
    for name in ("tone", "sentiment"):
        listed = client.get(INTERACTIONS, {name: "negative"}).json()["results"]
        assert [row["summary"] for row in listed] == ["Grumpy"]


def test_logging_on_an_account_one_may_only_read_is_a_400_naming_account(csm, book):
    response = client_for(csm).post(
        INTERACTIONS, {"account": book["teammates"].pk, "kind": "note", "summary": "Hi"}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["account"]
    assert not Interaction.objects.exists()


def test_interaction_in_the_future_is_a_400_naming_occurred_at(csm, book):
    response = client_for(csm).post(
        INTERACTIONS,
        {
            "account": book["mine"].pk,
            "kind": "meeting",
            "summary": "Tomorrow",
            "occurred_at": (timezone.now() + dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert list(response.json()) == ["occurred_at"]


def test_contacts_of_another_account_are_a_400_naming_contacts(csm, book):
    stranger = ContactFactory(account=AccountFactory(owner=csm))
    response = client_for(csm).post(
        INTERACTIONS,
        {"account": book["mine"].pk, "kind": "call", "summary": "x", "contacts": [stranger.pk]},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["contacts"]


def test_missing_and_wrong_fields_are_named(csm, book):
    response = client_for(csm).post(INTERACTIONS, {"account": book["mine"].pk, "kind": "fax"})
    assert response.status_code == 400
    assert set(response.json()) == {"kind", "summary"}


# --- reading and the scope matrix ---------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("csm", {"mine", "teammates"}),
        ("teammate", {"mine", "teammates"}),
        ("team_lead", {"mine", "teammates"}),
        ("other_csm", {"other"}),
        ("admin_user", {"mine", "teammates", "other"}),
    ],
)
def test_interactions_are_scoped_like_their_accounts(request, book, persona, sees):
    made = {key: InteractionFactory(account=account).pk for key, account in book.items()}
    user = request.getfixturevalue(persona)
    assert ids(client_for(user).get(INTERACTIONS)) == {made[k] for k in sees}
    hidden = set(made) - sees
    for key in hidden:
        assert client_for(user).get(f"{INTERACTIONS}{made[key]}/").status_code == 404


def test_interactions_filter_by_account_kind_and_dates(csm, book):
    now = timezone.now()
    old_call = InteractionFactory(account=book["mine"], kind="call", occurred_at=now.replace(2024))
    meeting = InteractionFactory(account=book["mine"], kind="meeting", occurred_at=now)
    note = InteractionFactory(account=book["teammates"], kind="note", occurred_at=now)
    api = client_for(csm)
    assert ids(api.get(INTERACTIONS, {"account": book["mine"].pk})) == {old_call.pk, meeting.pk}
    assert ids(api.get(INTERACTIONS, {"kind": ["meeting", "note"]})) == {meeting.pk, note.pk}
    since = (now - dt.timedelta(days=1)).isoformat()
    assert ids(api.get(INTERACTIONS, {"occurred_after": since})) == {meeting.pk, note.pk}
    before = now.replace(2025).isoformat()
    assert ids(api.get(INTERACTIONS, {"occurred_before": before})) == {old_call.pk}
    rows = api.get(INTERACTIONS, {"ordering": "occurred_at"}).json()["results"]
    assert rows[0]["id"] == old_call.pk


@pytest.mark.parametrize("value", ["last tuesday", "0001-01-01T00:00:00+21:00"])
def test_bad_date_filter_is_a_400_naming_the_parameter(csm, value):
    response = client_for(csm).get(INTERACTIONS, {"occurred_after": value})
    assert response.status_code == 400
    assert list(response.json()) == ["occurred_after"]


def test_date_filter_with_an_odd_offset_is_read_in_the_servers_zone(csm, book):
    interaction = InteractionFactory(account=book["mine"], occurred_at=timezone.now())
    # +21:02 is a valid ISO offset that PostgreSQL cannot hold.
    response = client_for(csm).get(INTERACTIONS, {"occurred_before": "2999-01-01T00:00:00+21:02"})
    assert response.status_code == 200
    assert ids(response) == {interaction.pk}


def test_interaction_list_query_count_does_not_grow_with_rows(
    csm, book, django_assert_max_num_queries
):
    contact = ContactFactory(account=book["mine"])
    for interaction in InteractionFactory.create_batch(60, account=book["mine"]):
        interaction.contacts.add(contact)
    with django_assert_max_num_queries(7):
        response = token_client(csm).get(INTERACTIONS)
    assert response.json()["count"] == 60
    assert all(row["contacts"] == [contact.pk] for row in response.json()["results"])


# --- editing and deleting -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("csm", 200), ("team_lead", 200), ("teammate", 404), ("other_csm", 404), ("admin_user", 200)],
)
def test_who_may_edit_an_interaction(request, book, csm, persona, status):
    interaction = InteractionFactory(account=book["mine"], author=csm, summary="Before")
    user = request.getfixturevalue(persona)
    response = client_for(user).patch(f"{INTERACTIONS}{interaction.pk}/", {"summary": "After"})
    assert response.status_code == status
    interaction.refresh_from_db()
    assert (interaction.summary == "After") == (status == 200)


def test_author_edits_their_interaction_on_a_teammates_account(csm, book):
    interaction = InteractionFactory(account=book["teammates"], author=csm)
    response = client_for(csm).patch(f"{INTERACTIONS}{interaction.pk}/", {"summary": "Fixed"})
    assert response.status_code == 200
    assert response.json()["summary"] == "Fixed"


def test_edit_that_turns_a_call_into_a_note_moves_the_last_contact_back(csm, book):
    account = book["mine"]
    earlier = timezone.now() - dt.timedelta(days=10)
    api = client_for(csm)
    for when in (earlier, timezone.now() - dt.timedelta(days=1)):
        api.post(
            INTERACTIONS,
            {"account": account.pk, "kind": "call", "summary": "x", "occurred_at": when},
        )
    latest = Interaction.objects.order_by("-occurred_at").first()
    assert api.patch(f"{INTERACTIONS}{latest.pk}/", {"kind": "note"}).status_code == 200
    account.refresh_from_db()
    assert account.last_meeting_or_call_at == earlier


def test_edit_cannot_add_a_follow_up(csm, book):
    interaction = InteractionFactory(account=book["mine"], author=csm)
    response = client_for(csm).patch(
        f"{INTERACTIONS}{interaction.pk}/", {"follow_up_due": "2030-01-01"}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["follow_up_due"]


def test_delete_is_a_soft_delete(csm, book):
    interaction = InteractionFactory(account=book["mine"], author=csm)
    api = client_for(csm)
    assert api.delete(f"{INTERACTIONS}{interaction.pk}/").status_code == 204
    interaction.refresh_from_db()
    assert interaction.deleted_at is not None
    assert api.get(f"{INTERACTIONS}{interaction.pk}/").status_code == 404
    assert interaction.pk not in ids(api.get(INTERACTIONS))


def test_reader_cannot_delete(teammate, csm, book):
    interaction = InteractionFactory(account=book["mine"], author=csm)
    assert client_for(teammate).delete(f"{INTERACTIONS}{interaction.pk}/").status_code == 404
    interaction.refresh_from_db()
    assert interaction.deleted_at is None


def test_a_follow_up_promised_when_logging_is_due_today_or_later(csm, book):
    """The rules the log form checked are the service's: the API obeys them too."""
    api = client_for(csm)
    call = {"account": book["mine"].pk, "kind": "call", "summary": "Renewal talk"}
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = api.post(
        INTERACTIONS, {**call, "follow_up_title": "Offer", "follow_up_due": yesterday}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["follow_up_due"]
    response = api.post(INTERACTIONS, {**call, "follow_up_title": "Offer"})
    assert response.status_code == 400
    assert response.json() == {"follow_up_due": ["When is it due?"]}
    assert not Interaction.objects.exists() and not FollowUp.objects.exists()


def test_an_interaction_before_1900_is_a_400_naming_occurred_at(csm, book):
    response = client_for(csm).post(
        INTERACTIONS,
        {
            "account": book["mine"].pk,
            "kind": "note",
            "summary": "Typo in the year",
            "occurred_at": "1899-12-31T10:00:00Z",
        },
    )
    assert response.status_code == 400
    assert list(response.json()) == ["occurred_at"]


# --- follow-ups ---------------------------------------------------------------------------


def test_follow_up_is_kept_by_whoever_promised_it(csm, book):
    due = timezone.localdate() + dt.timedelta(days=5)
    response = client_for(csm).post(
        FOLLOW_UPS, {"account": book["mine"].pk, "title": "Send deck", "due_on": due}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["owner"] == csm.pk
    assert response.json()["is_done"] is False


def test_follow_up_errors_name_the_field(csm, other_csm, book):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    api = client_for(csm)
    response = api.post(
        FOLLOW_UPS, {"account": book["mine"].pk, "title": "Late", "due_on": yesterday}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["due_on"]
    response = api.post(
        FOLLOW_UPS,
        {
            "account": book["mine"].pk,
            "title": "Theirs",
            "due_on": timezone.localdate(),
            "owner": other_csm.pk,
        },
    )
    assert response.status_code == 400
    assert list(response.json()) == ["owner"]


def test_follow_up_is_completed_and_reopened(csm, book):
    follow_up = FollowUpFactory(account=book["mine"], owner=csm)
    api = client_for(csm)
    done = api.post(f"{FOLLOW_UPS}{follow_up.pk}/complete/")
    assert done.status_code == 200
    assert done.json()["is_done"] is True
    assert api.get(FOLLOW_UPS, {"done": "false"}).json()["count"] == 0
    again = api.post(f"{FOLLOW_UPS}{follow_up.pk}/reopen/")
    assert again.json()["is_done"] is False


def test_teammate_completes_only_their_own_follow_ups_on_an_account_they_read(csm, teammate, book):
    theirs = FollowUpFactory(account=book["mine"], owner=teammate)
    mine = FollowUpFactory(account=book["mine"], owner=csm)
    api = client_for(teammate)
    assert api.post(f"{FOLLOW_UPS}{theirs.pk}/complete/").status_code == 200
    assert api.post(f"{FOLLOW_UPS}{mine.pk}/complete/").status_code == 404


def test_follow_up_of_another_team_is_not_found(other_csm, book):
    follow_up = FollowUpFactory(account=book["mine"])
    api = client_for(other_csm)
    assert api.get(f"{FOLLOW_UPS}{follow_up.pk}/").status_code == 404
    assert api.patch(f"{FOLLOW_UPS}{follow_up.pk}/", {"title": "x"}).status_code == 404
    assert api.post(f"{FOLLOW_UPS}{follow_up.pk}/complete/").status_code == 404


def test_a_follow_up_is_not_moved_into_the_past_nor_to_someone_outside_the_team(
    csm, teammate, other_csm, book
):
    overdue = FollowUpFactory(
        account=book["mine"], owner=csm, due_on=timezone.localdate() - dt.timedelta(days=3)
    )
    api = client_for(csm)
    url = f"{FOLLOW_UPS}{overdue.pk}/"
    response = api.patch(url, {"due_on": timezone.localdate() - dt.timedelta(days=1)})
    assert (response.status_code, list(response.json())) == (400, ["due_on"])
    assert api.patch(url, {"owner": other_csm.pk}).status_code == 400
    # Still overdue, the promise can be worded again and handed to a teammate.
    response = api.patch(url, {"title": "Send the deck", "owner": teammate.pk})
    assert response.status_code == 200, response.json()
    overdue.refresh_from_db()
    assert (overdue.title, overdue.owner, overdue.due_on < timezone.localdate()) == (
        "Send the deck",
        teammate,
        True,
    )


def test_a_promise_kept_by_someone_who_changed_teams_can_still_be_reworded(
    csm, teammate, other_csm, book
):
    promise = FollowUpFactory(account=book["mine"], owner=teammate)
    teammate.team = other_csm.team
    teammate.save(update_fields=["team"])
    response = client_for(csm).patch(f"{FOLLOW_UPS}{promise.pk}/", {"title": "Call back"})
    assert response.status_code == 200, response.json()
    promise.refresh_from_db()
    assert (promise.title, promise.owner) == ("Call back", teammate)


def test_follow_up_is_rescheduled(csm, book):
    follow_up = FollowUpFactory(account=book["mine"], owner=csm)
    later = timezone.localdate() + dt.timedelta(days=30)
    response = client_for(csm).patch(f"{FOLLOW_UPS}{follow_up.pk}/", {"due_on": later})
    assert response.status_code == 200
    follow_up.refresh_from_db()
    assert follow_up.due_on == later


# --- open problems ------------------------------------------------------------------------


def test_problem_is_recorded_by_the_user(csm, book):
    response = client_for(csm).post(
        PROBLEMS,
        {"account": book["mine"].pk, "title": "Export slow", "severity": "high"},
    )
    assert response.status_code == 201, response.json()
    problem = OpenProblem.objects.get()
    assert problem.opened_by == csm and problem.status == "open"


def test_resolving_a_problem_needs_a_resolution(csm, book):
    problem = OpenProblemFactory(account=book["mine"])
    api = client_for(csm)
    response = api.patch(f"{PROBLEMS}{problem.pk}/", {"status": "resolved"})
    assert response.status_code == 400
    assert list(response.json()) == ["resolution"]
    response = api.patch(
        f"{PROBLEMS}{problem.pk}/", {"status": "resolved", "resolution": "Indexed the table"}
    )
    assert response.status_code == 200
    assert response.json()["resolved_at"] is not None
    assert api.get(PROBLEMS, {"unresolved": "true"}).json()["count"] == 0


def test_a_refused_status_change_leaves_the_problem_unchanged(csm, book):
    problem = OpenProblemFactory(account=book["mine"], title="Export slow", severity="low")
    api = client_for(csm)
    edit = {"title": "Export times out", "severity": "high", "status": "resolved"}
    response = api.patch(f"{PROBLEMS}{problem.pk}/", edit)
    assert (response.status_code, list(response.json())) == (400, ["resolution"])
    problem.refresh_from_db()
    assert (problem.title, problem.severity, problem.status) == ("Export slow", "low", "open")


def test_a_problem_recorded_as_resolved_needs_a_resolution(csm, book):
    new = {"account": book["mine"].pk, "title": "Login loop", "severity": "low"}
    response = client_for(csm).post(PROBLEMS, {**new, "status": "resolved"})
    assert (response.status_code, list(response.json())) == (400, ["resolution"])
    assert not OpenProblem.objects.exists()
    response = client_for(csm).post(
        PROBLEMS, {**new, "status": "resolved", "resolution": "Cleared the cookie"}
    )
    assert response.status_code == 201
    assert OpenProblem.objects.get().resolved_at is not None


def test_problem_on_another_teams_account_is_not_found(other_csm, book):
    problem = OpenProblemFactory(account=book["mine"])
    api = client_for(other_csm)
    assert api.get(f"{PROBLEMS}{problem.pk}/").status_code == 404
    assert api.patch(f"{PROBLEMS}{problem.pk}/", {"title": "x"}).status_code == 404


def test_problems_filter_by_severity(csm, book):
    high = OpenProblemFactory(account=book["mine"], severity="high")
    OpenProblemFactory(account=book["mine"], severity="low")
    assert ids(client_for(csm).get(PROBLEMS, {"severity": "high"})) == {high.pk}


# --- feedback -----------------------------------------------------------------------------


def test_feedback_is_recorded_for_the_accounts_owner(teammate, team_lead, book):
    response = client_for(team_lead).post(
        FEEDBACK,
        {"account": book["teammates"].pk, "kind": "nps", "score": 6, "received_on": "2026-01-10"},
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["author"] == teammate.pk
    assert data["category"] == "detractor"


def test_csat_out_of_range_is_a_400_naming_score(csm, book):
    response = client_for(csm).post(
        FEEDBACK,
        {"account": book["mine"].pk, "kind": "csat", "score": 7, "received_on": "2026-01-10"},
    )
    assert response.status_code == 400
    assert list(response.json()) == ["score"]
    assert not Feedback.objects.exists()


def test_feedback_contact_of_another_account_is_a_400_naming_contact(csm, book):
    stranger = ContactFactory(account=book["teammates"])
    response = client_for(csm).post(
        FEEDBACK,
        {
            "account": book["mine"].pk,
            "kind": "nps",
            "score": 9,
            "received_on": "2026-01-10",
            "contact": stranger.pk,
        },
    )
    assert response.status_code == 400
    assert list(response.json()) == ["contact"]


def test_feedback_is_corrected_and_scoped(csm, other_csm, book):
    feedback = FeedbackFactory(account=book["mine"], score=9)
    assert client_for(other_csm).get(f"{FEEDBACK}{feedback.pk}/").status_code == 404
    response = client_for(csm).patch(f"{FEEDBACK}{feedback.pk}/", {"score": 10})
    assert response.status_code == 200
    feedback.refresh_from_db()
    assert feedback.score == 10


def test_relationship_lists_keep_their_query_count(csm, book, django_assert_max_num_queries):
    owner = UserFactory(team=csm.team)
    FollowUpFactory.create_batch(55, account=book["mine"], owner=owner)
    OpenProblemFactory.create_batch(55, account=book["mine"], opened_by=owner)
    FeedbackFactory.create_batch(55, account=book["mine"], author=owner)
    api = token_client(csm)
    for url in (FOLLOW_UPS, PROBLEMS, FEEDBACK):
        with django_assert_max_num_queries(6):
            response = api.get(url)
        assert response.json()["count"] == 55


def _promise(user, account, owner):
    """POST a follow-up due today on ``account``, kept by ``owner`` (an id or anything)."""
    return client_for(user).post(
        FOLLOW_UPS,
        {"account": account.pk, "title": "Call", "due_on": timezone.localdate(), "owner": owner},
    )


@pytest.mark.parametrize("owner", ["other_csm", 999999, 10**30, "abc"])
def test_an_owner_out_of_scope_is_answered_as_one_that_does_not_exist(csm, other_csm, book, owner):
    owner = other_csm.pk if owner == "other_csm" else owner
    response = _promise(csm, book["mine"], owner)
    assert response.status_code == 400
    assert response.json() == {"owner": ["Not a user you can assign."]}


def test_a_teammate_can_be_given_the_promise(csm, teammate, book):
    response = _promise(csm, book["mine"], teammate.pk)
    assert response.status_code == 201, response.json()
    assert response.json()["owner"] == teammate.pk


def test_an_admin_gives_a_promise_to_the_accounts_team(admin_user, other_csm, book):
    response = _promise(admin_user, book["other"], other_csm.pk)
    assert response.status_code == 201, response.json()
