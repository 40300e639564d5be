"""Handover requests (DESIGN.md "Handover"): a CSM asks for an account to be handed to a
colleague of its team, with notes; a lead of the team or an admin approves, maybe to another
new owner, and ``services.transfer_ownership`` makes the transfer the new owner acknowledges;
or declines, saying why. Who may do what is asked of ``crm.scoping``."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import events, scoping

from .models import Account, HandoverRequest, OwnershipTransfer
from .selectors import can_transfer, handover_colleagues
from .services import transfer_ownership

Status = HandoverRequest.Status


@transaction.atomic
def request_handover(
    *, account: Account, by, to_owner, reason: str, handover_notes: str = ""
) -> HandoverRequest:
    """Ask for ``account`` to be handed to ``to_owner``, a colleague of its team. Whoever may
    change the account asks (its owner); one open request per account."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    if not scoping.can_edit(by, account):
        raise PermissionDenied(
            _("Only someone who may change the account can ask to hand it over.")
        )
    errors = {}
    if not handover_colleagues(account).filter(pk=to_owner.pk).exists():
        errors["to_owner"] = _("Choose an active colleague of the account's team.")
    if not reason.strip():
        errors["reason"] = _("Say why the account should change hands.")
    if account.handover_requests.filter(status=Status.REQUESTED).exists():
        errors["__all__"] = _("A handover of this account is already asked for.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            handover = HandoverRequest.objects.create(
                account=account,
                requested_by=by,
                requested_at=timezone.now(),
                proposed_owner=to_owner,
                reason=reason.strip(),
                handover_notes=handover_notes.strip(),
            )
    except IntegrityError:  # asked for meanwhile by someone else
        raise ValidationError(_("A handover of this account is already asked for.")) from None
    events.publish(events.HandoverRequested(handover.pk))
    return handover


def _open(handover: HandoverRequest, by) -> HandoverRequest:
    handover = (
        HandoverRequest.objects.select_for_update()
        .select_related("account", "proposed_owner")
        .get(pk=handover.pk)
    )
    if not can_transfer(by, handover.account):
        raise PermissionDenied(
            _("Only a team lead of the account's team or an admin can decide a handover.")
        )
    if handover.status != Status.REQUESTED:
        raise ValidationError(_("This handover was decided already."))
    return handover


@transaction.atomic
def approve_handover(
    *, handover: HandoverRequest, by, to_owner=None, comment: str = ""
) -> OwnershipTransfer:
    """Approve a requested handover: the account goes to ``to_owner`` (default: the proposed
    colleague) through ``transfer_ownership``, with the request's reason and notes. Returns
    the transfer the new owner is to acknowledge."""
    handover = _open(handover, by)
    transfer = transfer_ownership(
        account=handover.account,
        to_owner=to_owner or handover.proposed_owner,
        by=by,
        reason=handover.reason,
        handover_notes=handover.handover_notes,
    )
    handover.status, handover.transfer = Status.APPROVED, transfer
    handover.decided_by, handover.decided_at = by, timezone.now()
    handover.decision_comment = comment.strip()
    handover.save()
    return transfer


@transaction.atomic
def decline_handover(*, handover: HandoverRequest, by, comment: str) -> HandoverRequest:
    """Decline a requested handover, saying why (the CSM reads it); the owner stays."""
    handover = _open(handover, by)
    if not comment.strip():
        raise ValidationError({"comment": _("Say why, for the colleague who asked.")})
    handover.status = Status.DECLINED
    handover.decided_by, handover.decided_at = by, timezone.now()
    handover.decision_comment = comment.strip()
    handover.save()
    return handover
