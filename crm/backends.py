"""Sign-in throttling (django-axes): the authentication backend and the client address it counts by.

Settings: ``AXES_*`` in ``crm/settings.py``; README "Security".
"""

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.helpers import get_credentials
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' backend, which refuses a locked-out user name and address before any
    password is checked, for every sign-in that comes with a request: the sign-in page, the
    admin's and the API's token endpoint.

    Axes locks a user name at one address; on top of that an address is refused whatever the
    name once ``AXES_ADDRESS_FAILURE_LIMIT`` wrong passwords came from it within the cool-off
    time (``address_locked_out``), and answered with the same lockout page.

    A sign-in without a request (``Client.login()`` in tests, the shell) has no client address
    to count by; axes would raise, so it is left to the next backend instead.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        super().authenticate(request, username, password, **kwargs)
        if address_locked_out(client_ip(request)):
            # What axes does for a locked-out name: its middleware answers with the lockout
            # page, and the refused attempt is logged as a failure.
            request.axes_locked_out = True
            request.axes_credentials = get_credentials(username=username, password=password)
            raise AxesBackendPermissionDenied("too many failed sign-ins from this address")
        return None


def address_locked_out(address: str | None) -> bool:
    """Whether ``address`` has had ``AXES_ADDRESS_FAILURE_LIMIT`` wrong passwords, over all
    user names, within the cool-off time (counted from axes' own records: one query)."""
    if not address:
        return False
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return (failures or 0) >= settings.AXES_ADDRESS_FAILURE_LIMIT


def client_ip(request: HttpRequest) -> str | None:
    """The address axes counts failures by: ``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_COUNT``
    proxies the address the outermost of them saw, taken from the right of X-Forwarded-For
    (the left part is whatever the client sent and cannot be trusted)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")
