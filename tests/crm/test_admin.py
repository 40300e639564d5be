"""The Django admin of crm, customers and interactions, used by the admin persona."""

import csv
import datetime as dt
import io
import secrets
from decimal import Decimal

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import InboxItem, PendingTask, Team, User
from customers.models import (
    Account,
    ChurnReason,
    ChurnRecord,
    Contact,
    Contract,
    CustomerSpan,
    HandoverRequest,
    LedgerRevision,
    MrrSpan,
    OwnershipTransfer,
    Segment,
)
from customers.services import refresh_ledger
from interactions.models import (
    Feedback,
    FollowUp,
    Interaction,
    OpenProblem,
    PlannedMeeting,
    SurveySend,
    SurveyTemplate,
)
from interactions.services import refresh_last_meeting_or_call

from ..factories import (
    AccountFactory,
    ChurnReasonFactory,
    ChurnRecordFactory,
    ContactFactory,
    ContractFactory,
    CustomerSpanFactory,
    FeedbackFactory,
    FollowUpFactory,
    HandoverRequestFactory,
    InboxItemFactory,
    InteractionFactory,
    MrrSpanFactory,
    OpenProblemFactory,
    OwnershipTransferFactory,
    PlannedMeetingFactory,
    SegmentFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

OUR_APPS = {"crm", "customers", "interactions"}
# Registered by Django or third-party packages (or tested with their own app): not ours here.
SKIPPED_APPS = {
    "auth": "Django's own Group admin",
    "authtoken": "Django REST framework's token admin",
    "axes": "django-axes' sign-in attempts and lockouts, left as shipped",
    "django_celery_beat": "django-celery-beat's admin, left as shipped",
    "retention": "tested with the retention app",
}

# Bookkeeping that no person reads or edits, so not in the admin, and why.
NOT_IN_ADMIN = {
    LedgerRevision: "a counter of ledger changes that caches of figures are keyed by",
}

# One distinct object of each of our models; ``n`` keeps names unique.
MAKERS = {
    Team: lambda n: TeamFactory(),
    PendingTask: lambda n: PendingTask.objects.create(
        task="retention.tasks.send_daily_digests",
        fingerprint=f"pending-{n}",
        first_failed_at=timezone.now(),
        last_failed_at=timezone.now(),
        last_error="OperationalError: Error 111 connecting to 127.0.0.1:6379.",
    ),
    User: lambda n: UserFactory(),
    Segment: lambda n: SegmentFactory(name=f"Segment {n}"),
    Account: lambda n: AccountFactory(),
    Contact: lambda n: ContactFactory(),
    Contract: lambda n: ContractFactory(),
    CustomerSpan: lambda n: CustomerSpanFactory(),
    MrrSpan: lambda n: MrrSpanFactory(),
    OwnershipTransfer: lambda n: OwnershipTransferFactory(transferred_by=UserFactory()),
    HandoverRequest: lambda n: HandoverRequestFactory(),
    ChurnReason: lambda n: ChurnReasonFactory(name=f"Reason {n}"),
    ChurnRecord: lambda n: ChurnRecordFactory(reason=ChurnReasonFactory(name=f"Reason {n}")),
    Interaction: lambda n: InteractionFactory(),
    FollowUp: lambda n: FollowUpFactory(interaction=InteractionFactory()),
    OpenProblem: lambda n: OpenProblemFactory(opened_by=UserFactory()),
    Feedback: lambda n: _feedback(),
    PlannedMeeting: lambda n: PlannedMeetingFactory(),
    InboxItem: lambda n: InboxItemFactory(),
    SurveySend: lambda n: _survey_send(),
    # One per kind and language, shipped by a data migration: the makers edit those four.
    SurveyTemplate: lambda n: SurveyTemplate.objects.update_or_create(
        kind=("nps", "csat")[n % 2],
        language=("en", "de")[n // 2 % 2],
        defaults={"subject": f"Subject {n}", "body": "{link}", "question": "?"},
    )[0],
}


def _survey_send():
    contact = ContactFactory()
    return SurveySend.objects.create(
        account=contact.account,
        contact=contact,
        kind="nps",
        language="en",
        token_hash=secrets.token_hex(32),
        expires_at=timezone.now(),
    )


def _feedback():
    contact = ContactFactory()
    return FeedbackFactory(account=contact.account, contact=contact, author=contact.account.owner)


OUR_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in OUR_APPS),
    key=lambda m: m._meta.label,
)


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def web(client, admin_user):
    client.force_login(admin_user)
    return client


def form_errors(response) -> str:
    """The errors of a re-rendered admin form, for a failing assertion's message."""
    if response.context is None or "adminform" not in response.context:
        return f"status {response.status_code}"
    errors = [response.context["adminform"].form.errors]
    errors += [fs.formset.errors for fs in response.context["inline_admin_formsets"]]
    return repr(errors)


def form_data(response) -> dict:
    """The POST data the rendered change form would send unchanged (inlines included)."""
    data = {}

    def add(form):
        for bound in form:
            value = bound.value()
            widget = bound.field.widget
            if isinstance(widget, RelatedFieldWidgetWrapper):
                widget = widget.widget
            if isinstance(widget, forms.MultiWidget):
                parts = value if isinstance(value, list) else widget.decompress(value)
                for suffix, part in zip(widget.widgets_names, parts, strict=True):
                    data[bound.html_name + suffix] = "" if part is None else str(part)
            elif isinstance(widget, forms.CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif value is None:
                data[bound.html_name] = ""
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def run_action(web, model, action: str, objs, **extra):
    return web.post(
        admin_url(model, "changelist"),
        {"action": action, "_selected_action": [o.pk for o in objs], **extra},
    )


# ---------------------------------------------------------------------------------------------
# Every admin page renders


def test_every_registered_app_is_tested_here_or_skipped_on_purpose():
    labels = {model._meta.app_label for model in admin.site._registry}
    assert labels - OUR_APPS - set(SKIPPED_APPS) == set()
    assert labels >= OUR_APPS


def test_every_model_of_our_apps_is_registered_and_has_a_maker():
    models = {
        m
        for label in OUR_APPS
        for m in apps.get_app_config(label).get_models()
        if not m.__name__.startswith("Historical")  # django-simple-history audit tables
        and m not in NOT_IN_ADMIN
    }
    assert set(OUR_MODELS) == models
    assert set(MAKERS) == models


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_changelist_add_and_change_pages_render(web, admin_user, model):
    obj = MAKERS[model](1)
    model_admin = admin.site.get_model_admin(model)

    changelist = web.get(admin_url(model, "changelist"))
    assert changelist.status_code == 200
    assert admin_url(model, "change", obj.pk) in changelist.content.decode()

    add = web.get(admin_url(model, "add"))
    request = changelist.wsgi_request
    assert add.status_code == (200 if model_admin.has_add_permission(request) else 403)

    change = web.get(admin_url(model, "change", obj.pk))
    assert change.status_code == 200


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_changelist_search_and_every_filter_option_render(web, model):
    MAKERS[model](1)
    model_admin = admin.site.get_model_admin(model)
    url = admin_url(model, "changelist")
    if model_admin.search_fields:
        assert web.get(url, {"q": "nothing like this"}).status_code == 200
    response = web.get(url)
    changelist = response.context["cl"]
    options = [
        choice["query_string"]
        for spec in changelist.filter_specs
        for choice in spec.choices(changelist)
    ]
    assert options or not model_admin.list_filter
    for query_string in options:
        assert web.get(url + query_string).status_code == 200, query_string


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_changelist_query_count_does_not_grow_with_rows(web, model):
    url = admin_url(model, "changelist")
    for n in range(3):
        MAKERS[model](n)
    web.get(url)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as few:
        assert web.get(url).status_code == 200
    for n in range(3, 15):
        MAKERS[model](n)
    with CaptureQueriesContext(connection) as many:
        assert web.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_account_changelist_with_60_accounts_takes_a_fixed_number_of_queries(
    web, django_assert_max_num_queries
):
    owners = UserFactory.create_batch(6)
    for i in range(60):
        account = AccountFactory(owner=owners[i % 6])
        ContractFactory(account=account, end_date=timezone.localdate() + dt.timedelta(days=i))
    refresh_ledger(account_ids=Account.objects.values_list("pk", flat=True))
    with django_assert_max_num_queries(12):
        response = web.get(admin_url(Account, "changelist"))
    assert response.context["cl"].result_count == 60


# ---------------------------------------------------------------------------------------------
# Accounts


def test_account_search_finds_by_name_and_external_id(web):
    wanted = AccountFactory(name="Hafenbräu AG", external_id="ERP-4711")
    AccountFactory(name="Other GmbH")
    url = admin_url(Account, "changelist")
    for term in ["hafenbr", "ERP-4711"]:
        results = list(web.get(url, {"q": term}).context["cl"].result_list)
        assert results == [wanted]


def test_account_status_filter_uses_the_derived_status(web):
    today = timezone.localdate()
    customer = ContractFactory(start_date=today - dt.timedelta(days=30)).account
    churned = ContractFactory(
        start_date=today - dt.timedelta(days=400), end_date=today - dt.timedelta(days=10)
    ).account
    prospect = AccountFactory()
    refresh_ledger(account_ids=[customer.pk, churned.pk, prospect.pk])
    url = admin_url(Account, "changelist")

    def listed(status):
        return set(web.get(url, {"status": status}).context["cl"].result_list)

    assert listed("customer") == {customer}
    assert listed("churned") == {churned}
    assert listed("prospect") == {prospect}


def test_rebuild_action_refreshes_the_ledger_and_last_contact(web):
    account = AccountFactory()
    ContractFactory(account=account, monthly_value=Decimal("120.00"))  # no ledger refresh
    met = InteractionFactory(account=account, kind=Interaction.Kind.MEETING)
    assert account.mrr == 0 and account.last_meeting_or_call_at is None

    response = run_action(web, Account, "rebuild_derived_fields", [account])

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.mrr == Decimal("120.00")
    assert account.customer_since == dt.date(2025, 1, 1)
    assert account.last_meeting_or_call_at == met.occurred_at
    assert CustomerSpan.objects.filter(account=account).count() == 1


def test_csv_export_has_the_changelist_columns_and_plain_values(web):
    account = AccountFactory(name="=SUM(A1:A9)", segment=SegmentFactory(name="SMB"))
    ContractFactory(account=account, monthly_value=Decimal("1000.00"))
    other = AccountFactory()
    refresh_ledger(account_ids=[account.pk, other.pk])
    account.refresh_from_db()

    response = run_action(web, Account, "export_as_csv", [account])

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header == [
        "Name",
        "Segment",
        "Owner",
        "Team",
        "Is customer",
        "MRR",
        "Customer since",
        "Churned on",
        "Next renewal",
        "Last meeting or call",
    ]
    assert rows == [
        [
            "'=SUM(A1:A9)",
            "SMB",
            str(account.owner),
            str(account.team),
            "yes",
            "1000.00",
            "2025-01-01",
            "",
            "",
            "",
        ]
    ]


def test_csv_export_shows_choice_labels_and_local_times(web):
    when = timezone.make_aware(dt.datetime(2025, 3, 4, 9, 30))
    interaction = InteractionFactory(kind=Interaction.Kind.MEETING, occurred_at=when)

    header, row = csv_rows(run_action(web, Interaction, "export_as_csv", [interaction]))

    assert header[:3] == ["When", "Kind", "Summary"]
    assert row[:3] == ["2025-03-04T09:30:00+01:00", "Meeting", "Quarterly check-in"]
    assert row[header.index("Deleted")] == "no"


def test_account_owner_is_set_on_add_and_the_team_follows(web, csm):
    response = web.post(
        admin_url(Account, "add"),
        {
            "name": "Neukunde GmbH",
            "external_id": "",
            "industry": "",
            "employees": "",
            "budget_band": "",
            "owner": csm.pk,
            "team": "",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "contracts-TOTAL_FORMS": "0",
            "contracts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, form_errors(response)
    account = Account.objects.get(name="Neukunde GmbH")
    assert account.owner == csm
    assert account.team == csm.team


def test_account_owner_cannot_be_changed_on_the_change_form(web, csm, other_csm):
    account = AccountFactory(owner=csm)
    url = admin_url(Account, "change", account.pk)
    page = web.get(url)
    assert "owner" not in page.context["adminform"].form.fields
    transfer_link = admin_url(OwnershipTransfer, "add") + f"?account={account.pk}"
    assert transfer_link in page.content.decode()

    data = form_data(page) | {"owner": str(other_csm.pk), "industry": "Retail"}
    response = web.post(url, data)

    assert response.status_code == 302, form_errors(response)
    account.refresh_from_db()
    assert account.industry == "Retail"
    assert account.owner == csm


def test_adding_a_contract_in_the_account_inline_refreshes_the_ledger(web):
    account = AccountFactory()
    url = admin_url(Account, "change", account.pk)
    data = form_data(web.get(url))
    data |= {
        "contracts-TOTAL_FORMS": "1",
        "contracts-0-account": str(account.pk),
        "contracts-0-reference": "C-INLINE",
        "contracts-0-start_date": "2025-02-01",
        "contracts-0-end_date": "",
        "contracts-0-cancelled_on": "",
        "contracts-0-notice_given_on": "",
        "contracts-0-monthly_value": "300.00",
    }

    response = web.post(url, data)

    assert response.status_code == 302, form_errors(response)
    account.refresh_from_db()
    assert account.mrr == Decimal("300.00")
    assert account.customer_since == dt.date(2025, 2, 1)


def test_account_page_lists_only_the_latest_interactions_with_a_link_to_all(web):
    account = AccountFactory()
    now = timezone.now()
    for days in range(25):
        InteractionFactory(account=account, occurred_at=now - dt.timedelta(days=days))
    url = admin_url(Account, "change", account.pk)

    with CaptureQueriesContext(connection) as queries:
        page = web.get(url)

    (inline,) = [
        fs for fs in page.context["inline_admin_formsets"] if fs.formset.model is Interaction
    ]
    shown = [form.instance.occurred_at for form in inline.formset.forms]
    assert len(shown) == 20
    assert shown == sorted(shown, reverse=True)
    assert shown[0] == now
    html = page.content.decode()
    assert "25 interactions" in html
    all_url = admin_url(Interaction, "changelist") + f"?account__id__exact={account.pk}"
    assert all_url in html
    assert web.get(all_url).context["cl"].result_count == 25
    # One query for the interactions and their authors, not one per row.
    assert sum('"interactions_interaction"' in q["sql"] for q in queries.captured_queries) <= 3


def test_saving_an_account_leaves_its_interactions_alone(web):
    account = AccountFactory()
    interaction = InteractionFactory(account=account, summary="Kept as is")
    url = admin_url(Account, "change", account.pk)

    response = web.post(url, form_data(web.get(url)))

    assert response.status_code == 302, form_errors(response)
    interaction.refresh_from_db()
    assert interaction.summary == "Kept as is"
    assert interaction.deleted_at is None


# ---------------------------------------------------------------------------------------------
# Contracts


def contract_post(account, **changes) -> dict:
    return {
        "account": account.pk,
        "reference": "C-ADMIN",
        "monthly_value": "250.00",
        "start_date": "2025-01-01",
        "end_date": "",
        "cancelled_on": "",
        "notice_given_on": "",
    } | changes


def test_adding_a_contract_in_the_admin_refreshes_the_accounts_mrr(web):
    account = AccountFactory()

    response = web.post(admin_url(Contract, "add"), contract_post(account))

    assert response.status_code == 302, form_errors(response)
    account.refresh_from_db()
    assert account.mrr == Decimal("250.00")
    assert account.customer_since == dt.date(2025, 1, 1)
    assert account.derived_on == timezone.localdate()


def test_moving_a_contract_to_another_account_refreshes_both(web):
    before, after = AccountFactory(), AccountFactory()
    contract = ContractFactory(account=before, reference="C-MOVE")
    refresh_ledger(account_ids=[before.pk])

    response = web.post(
        admin_url(Contract, "change", contract.pk),
        contract_post(after, reference="C-MOVE", monthly_value="1000.00"),
    )

    assert response.status_code == 302, form_errors(response)
    before.refresh_from_db()
    after.refresh_from_db()
    assert before.mrr == 0 and before.customer_since is None
    assert after.mrr == Decimal("1000.00")


def test_deleting_contracts_in_the_admin_refreshes_the_ledger(web):
    kept, dropped = ContractFactory(), ContractFactory()
    refresh_ledger(account_ids=[kept.account_id, dropped.account_id])

    response = run_action(web, Contract, "delete_selected", [dropped], post="yes")

    assert response.status_code == 302
    assert not Contract.objects.filter(pk=dropped.pk).exists()
    assert Account.objects.get(pk=dropped.account_id).mrr == 0
    assert Account.objects.get(pk=kept.account_id).mrr == Decimal("1000.00")
    assert not CustomerSpan.objects.filter(account_id=dropped.account_id).exists()

    single = ContractFactory()
    refresh_ledger(account_ids=[single.account_id])
    response = web.post(admin_url(Contract, "delete", single.pk), {"post": "yes"})
    assert response.status_code == 302
    assert Account.objects.get(pk=single.account_id).customer_since is None


def test_contract_ending_before_it_starts_is_refused_with_the_services_message(web):
    account = AccountFactory()

    response = web.post(admin_url(Contract, "add"), contract_post(account, end_date="2024-12-31"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["end_date"] == ["The end date is before the start date."]
    assert not Contract.objects.exists()


# ---------------------------------------------------------------------------------------------
# Ownership and churn


def test_adding_a_transfer_hands_the_account_over(web, admin_user, csm, other_csm):
    account = AccountFactory(owner=csm)

    response = web.post(
        admin_url(OwnershipTransfer, "add"),
        {
            "account": account.pk,
            "to_owner": other_csm.pk,
            "reason": "Carla moves to onboarding",
            "handover_notes": "Call the CFO first.",
        },
    )

    assert response.status_code == 302, form_errors(response)
    transfer = OwnershipTransfer.objects.get()
    assert (transfer.from_owner, transfer.to_owner, transfer.transferred_by) == (
        csm,
        other_csm,
        admin_user,
    )
    account.refresh_from_db()
    assert account.owner == other_csm
    assert account.team == other_csm.team


def test_a_transfer_to_the_current_owner_is_refused(web, csm):
    account = AccountFactory(owner=csm)

    response = web.post(
        admin_url(OwnershipTransfer, "add"),
        {"account": account.pk, "to_owner": csm.pk, "reason": "Nothing", "handover_notes": ""},
    )

    assert response.status_code == 200
    assert "to_owner" in response.context["adminform"].form.errors
    assert not OwnershipTransfer.objects.exists()


def test_only_the_handover_notes_of_a_transfer_can_be_changed(web, csm, other_csm):
    transfer = OwnershipTransferFactory(account=AccountFactory(owner=csm), to_owner=other_csm)
    url = admin_url(OwnershipTransfer, "change", transfer.pk)
    page = web.get(url)
    assert set(page.context["adminform"].form.fields) == {"handover_notes"}

    response = web.post(url, {"handover_notes": "Prefers mornings.", "reason": "Changed?"})

    assert response.status_code == 302, form_errors(response)
    transfer.refresh_from_db()
    assert transfer.handover_notes == "Prefers mornings."
    assert transfer.reason == "CSM left the company"
    assert web.post(admin_url(OwnershipTransfer, "delete", transfer.pk)).status_code == 403


def test_recording_churn_in_the_admin_takes_the_date_from_the_ledger(web, admin_user):
    contract = ContractFactory(start_date=dt.date(2024, 1, 1), end_date=dt.date(2024, 12, 31))
    refresh_ledger(account_ids=[contract.account_id])
    reason = ChurnReasonFactory(name="Price")
    prospect = AccountFactory()

    refused = web.post(
        admin_url(ChurnRecord, "add"), {"account": prospect.pk, "reason": reason.pk, "notes": ""}
    )
    assert refused.status_code == 200
    assert "account" in refused.context["adminform"].form.errors

    response = web.post(
        admin_url(ChurnRecord, "add"),
        {"account": contract.account_id, "reason": reason.pk, "notes": "Budget cut"},
    )

    assert response.status_code == 302, form_errors(response)
    record = ChurnRecord.objects.get()
    assert record.churned_on == dt.date(2025, 1, 1)
    assert record.recorded_by == admin_user


# ---------------------------------------------------------------------------------------------
# Interactions


def interaction_post(account, author, when: dt.datetime, **changes) -> dict:
    local = timezone.localtime(when)
    return {
        "account": account.pk,
        "kind": Interaction.Kind.MEETING,
        "occurred_at_0": local.date().isoformat(),
        "occurred_at_1": local.time().isoformat(timespec="seconds"),
        "author": author.pk,
        "summary": "Kick-off",
        "notes": "",
        "tone": "",
        "next_steps": "",
    } | changes


def test_adding_a_meeting_in_the_admin_moves_the_last_contact(web, csm):
    account = AccountFactory(owner=csm)
    when = (timezone.now() - dt.timedelta(days=2)).replace(microsecond=0)

    response = web.post(admin_url(Interaction, "add"), interaction_post(account, csm, when))

    assert response.status_code == 302, form_errors(response)
    account.refresh_from_db()
    assert account.last_meeting_or_call_at == when


def test_turning_the_latest_meeting_into_an_email_moves_the_last_contact_back(web, csm):
    account = AccountFactory(owner=csm)
    now = timezone.now().replace(microsecond=0)
    earlier = InteractionFactory(account=account, occurred_at=now - dt.timedelta(days=9))
    latest = InteractionFactory(account=account, occurred_at=now - dt.timedelta(days=1))
    refresh_last_meeting_or_call(account_ids=[account.pk])

    response = web.post(
        admin_url(Interaction, "change", latest.pk),
        interaction_post(account, csm, latest.occurred_at, kind=Interaction.Kind.EMAIL),
    )

    assert response.status_code == 302, form_errors(response)
    account.refresh_from_db()
    assert account.last_meeting_or_call_at == earlier.occurred_at


def test_interaction_with_a_contact_of_another_account_is_refused(web, csm):
    account = AccountFactory(owner=csm)
    stranger = ContactFactory()
    data = interaction_post(account, csm, timezone.now() - dt.timedelta(hours=1))

    response = web.post(admin_url(Interaction, "add"), data | {"contacts": [stranger.pk]})

    assert response.status_code == 200
    assert "contacts" in response.context["adminform"].form.errors
    assert not Interaction.objects.exists()


def test_interaction_in_the_future_is_refused(web, csm):
    account = AccountFactory(owner=csm)
    data = interaction_post(account, csm, timezone.now() + dt.timedelta(days=1))

    response = web.post(admin_url(Interaction, "add"), data)

    assert response.status_code == 200
    assert "occurred_at" in response.context["adminform"].form.errors


def test_interaction_before_1900_is_refused_as_by_the_api(web, csm):
    account = AccountFactory(owner=csm)
    data = interaction_post(account, csm, timezone.now().replace(year=1850))

    response = web.post(admin_url(Interaction, "add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["occurred_at"] == [
        "An interaction cannot be before 1900."
    ]
    assert not Interaction.objects.exists()


def test_deleting_interactions_marks_them_deleted_and_restore_brings_them_back(web):
    account = AccountFactory()
    now = timezone.now()
    older = InteractionFactory(account=account, occurred_at=now - dt.timedelta(days=10))
    newer = InteractionFactory(account=account, occurred_at=now - dt.timedelta(days=1))
    refresh_last_meeting_or_call(account_ids=[account.pk])

    confirm = run_action(web, Interaction, "delete_selected", [newer])
    assert confirm.status_code == 200
    assert str(newer) in confirm.content.decode()
    response = run_action(web, Interaction, "delete_selected", [newer], post="yes")

    assert response.status_code == 302
    newer.refresh_from_db()
    assert newer.deleted_at is not None
    account.refresh_from_db()
    assert account.last_meeting_or_call_at == older.occurred_at
    url = admin_url(Interaction, "changelist")
    assert set(web.get(url).context["cl"].result_list) == {older, newer}
    assert list(web.get(url, {"deleted": "yes"}).context["cl"].result_list) == [newer]
    assert list(web.get(url, {"deleted": "no"}).context["cl"].result_list) == [older]

    response = run_action(web, Interaction, "restore", [newer])

    assert response.status_code == 302
    newer.refresh_from_db()
    assert newer.deleted_at is None
    account.refresh_from_db()
    assert account.last_meeting_or_call_at == newer.occurred_at


def test_the_delete_button_of_an_interaction_only_marks_it(web):
    interaction = InteractionFactory()
    url = admin_url(Interaction, "delete", interaction.pk)
    assert web.get(url).status_code == 200

    response = web.post(url, {"post": "yes"})

    assert response.status_code == 302
    interaction.refresh_from_db()
    assert interaction.deleted_at is not None


def test_interaction_search_finds_by_summary(web):
    wanted = InteractionFactory(summary="Pricing workshop")
    InteractionFactory(summary="Onboarding call")

    response = web.get(admin_url(Interaction, "changelist"), {"q": "pricing"})

    assert list(response.context["cl"].result_list) == [wanted]


# ---------------------------------------------------------------------------------------------
# Follow-ups, problems, feedback


def test_mark_done_completes_open_follow_ups_and_keeps_earlier_dates(web):
    done_before = timezone.now() - dt.timedelta(days=3)
    open_one = FollowUpFactory()
    done_one = FollowUpFactory(done_at=done_before)

    response = run_action(web, FollowUp, "mark_done", [open_one, done_one])

    assert response.status_code == 302
    open_one.refresh_from_db()
    done_one.refresh_from_db()
    assert open_one.done_at is not None
    assert done_one.done_at == done_before


def test_follow_up_state_filter_separates_open_overdue_and_done(web):
    today = timezone.localdate()
    overdue = FollowUpFactory(due_on=today - dt.timedelta(days=1))
    upcoming = FollowUpFactory(due_on=today + dt.timedelta(days=1))
    done = FollowUpFactory(due_on=today - dt.timedelta(days=5), done_at=timezone.now())
    url = admin_url(FollowUp, "changelist")

    def listed(state):
        return set(web.get(url, {"state": state}).context["cl"].result_list)

    assert listed("overdue") == {overdue}
    assert listed("open") == {overdue, upcoming}
    assert listed("done") == {done}


def test_mark_in_progress_moves_open_problems_and_leaves_resolved_ones(web):
    now = timezone.now()
    open_problem = OpenProblemFactory()
    resolved = OpenProblemFactory(
        opened_at=now - dt.timedelta(days=1),
        status=OpenProblem.Status.RESOLVED,
        resolved_at=now,
        resolution="Fixed",
    )

    response = run_action(web, OpenProblem, "mark_in_progress", [open_problem, resolved])

    assert response.status_code == 302
    open_problem.refresh_from_db()
    resolved.refresh_from_db()
    assert open_problem.status == OpenProblem.Status.IN_PROGRESS
    assert resolved.status == OpenProblem.Status.RESOLVED


def problem_post(problem, **changes) -> dict:
    local = timezone.localtime(problem.opened_at).replace(microsecond=0)
    return {
        "account": problem.account_id,
        "title": problem.title,
        "description": "",
        "category": problem.category,
        "severity": problem.severity,
        "status": problem.status,
        "opened_at_0": local.date().isoformat(),
        "opened_at_1": local.time().isoformat(timespec="seconds"),
        "opened_by": "",
        "resolution": "",
    } | changes


def test_resolving_a_problem_in_the_admin_needs_a_resolution_and_stamps_the_time(web):
    problem = OpenProblemFactory(opened_at=timezone.now() - dt.timedelta(days=2))
    url = admin_url(OpenProblem, "change", problem.pk)

    refused = web.post(url, problem_post(problem, status="resolved"))
    assert refused.status_code == 200
    assert "resolution" in refused.context["adminform"].form.errors

    response = web.post(url, problem_post(problem, status="resolved", resolution="Patched"))

    assert response.status_code == 302, form_errors(response)
    problem.refresh_from_db()
    assert problem.status == OpenProblem.Status.RESOLVED
    assert problem.resolved_at is not None
    assert problem.resolution == "Patched"

    response = web.post(url, problem_post(problem, status="open", resolution="Patched"))

    assert response.status_code == 302, form_errors(response)
    problem.refresh_from_db()
    assert problem.status == OpenProblem.Status.OPEN
    assert problem.resolved_at is None


def test_feedback_out_of_range_or_from_another_accounts_contact_is_refused(web):
    account = AccountFactory()
    stranger = ContactFactory()
    url = admin_url(Feedback, "add")
    base = {
        "account": account.pk,
        "contact": "",
        "author": "",
        "kind": "csat",
        "score": "4",
        "received_on": "2025-05-01",
        "comment": "",
    }

    assert web.post(url, base | {"score": "6"}).status_code == 200
    wrong_contact = web.post(url, base | {"contact": stranger.pk})
    assert "contact" in wrong_contact.context["adminform"].form.errors
    assert not Feedback.objects.exists()

    response = web.post(url, base)

    assert response.status_code == 302, form_errors(response)
    feedback = Feedback.objects.get()
    assert feedback.score == 4
    assert feedback.author == account.owner  # credited to the owner when nobody is named


def test_problem_added_as_resolved_is_stamped_by_the_service(web, admin_user):
    account = AccountFactory()
    opened = timezone.now() - dt.timedelta(days=3)
    draft = OpenProblem(account=account, title="Invoice wrong", opened_at=opened)

    response = web.post(
        admin_url(OpenProblem, "add"),
        problem_post(draft, status="resolved", resolution="Credit note sent")
        | {"opened_by": admin_user.pk},
    )

    assert response.status_code == 302, form_errors(response)
    problem = OpenProblem.objects.get()
    assert problem.status == OpenProblem.Status.RESOLVED
    assert problem.resolved_at >= opened
    assert problem.opened_by == admin_user


def test_follow_up_from_an_interaction_of_another_account_is_refused(web, admin_user):
    account = AccountFactory()
    elsewhere = InteractionFactory()

    response = web.post(
        admin_url(FollowUp, "add"),
        {
            "account": account.pk,
            "interaction": elsewhere.pk,
            "title": "Send the deck",
            "due_on": "2025-05-01",
            "owner": admin_user.pk,
            "done_at_0": "",
            "done_at_1": "",
        },
    )

    assert response.status_code == 200
    assert "interaction" in response.context["adminform"].form.errors
    assert not FollowUp.objects.exists()


def test_follow_up_added_in_the_admin_obeys_the_services_rules(web, csm, other_csm):
    account = AccountFactory(owner=csm)
    url = admin_url(FollowUp, "add")
    base = {
        "account": account.pk,
        "interaction": "",
        "title": "Send the deck",
        "due_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat(),
        "owner": csm.pk,
        "done_at_0": "",
        "done_at_1": "",
    }
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()

    past = web.post(url, base | {"due_on": yesterday})
    stranger = web.post(url, base | {"owner": other_csm.pk})

    assert "due_on" in past.context["adminform"].form.errors
    assert "owner" in stranger.context["adminform"].form.errors
    assert not FollowUp.objects.exists()
    assert web.post(url, base).status_code == 302
    assert FollowUp.objects.get().owner == csm


def test_correcting_feedback_in_the_admin_keeps_the_score_on_its_scale(web):
    feedback = FeedbackFactory(kind="nps", score=9, received_on=dt.date(2025, 5, 1))
    url = admin_url(Feedback, "change", feedback.pk)
    data = {
        "account": feedback.account_id,
        "contact": "",
        "author": "",
        "kind": "csat",
        "score": "9",
        "received_on": "2025-05-01",
        "comment": "",
    }

    response = web.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["score"] == [
        "A CSAT score is between 1 and 5."
    ]
    feedback.refresh_from_db()
    assert (feedback.kind, feedback.score) == ("nps", 9)


def test_feedback_category_filter_follows_the_model(web):
    promoter = FeedbackFactory(kind="nps", score=9)
    passive = FeedbackFactory(kind="csat", score=4)
    detractor = FeedbackFactory(kind="nps", score=6)
    url = admin_url(Feedback, "changelist")

    for wanted in (promoter, passive, detractor):
        listed = list(web.get(url, {"category": wanted.category}).context["cl"].result_list)
        assert listed == [wanted]
