"""Sign-in throttling (django-axes): the authentication backend and the client address it counts by.

Settings: ``AXES_*`` in ``crm/settings.py``; README "Security".
"""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' backend, which refuses a locked-out user name and address before any
    password is checked, for every sign-in that comes with a request: the sign-in page, the
    admin's and the API's token endpoint.

    A sign-in without a request (``Client.login()`` in tests, the shell) has no client address
    to count by; axes would raise, so it is left to the next backend instead.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


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
