"""Every URL pattern the project serves, found by walking ``get_resolver()`` (the apps' pages,
the DRF router's routes, the admin), with a way to turn each into a concrete URL.

The security tests (``test_url_security``, ``test_scope_matrix_auto``) request every pattern
this walk finds; a URL added later is covered without anyone adding it to a list.
"""

import re
from dataclasses import dataclass
from itertools import product
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.regex_helper import normalize


@dataclass(frozen=True)
class Endpoint:
    """One URL pattern: its full route (``customers/<int:pk>/``), its namespaced name (or the
    route when it has none), the view it calls and the URL template with its parameters."""

    route: str
    name: str
    callback: object
    template: str
    params: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.template.startswith("api/")

    @property
    def is_admin(self) -> bool:
        return self.template.startswith("admin/")

    @property
    def view_class(self):
        """The class of a class-based view (a DRF viewset or APIView, a Django view)."""
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def drf_actions(self) -> dict[str, str]:
        """A viewset route's HTTP methods and the actions they call (``{"get": "retrieve"}``)."""
        return dict(getattr(self.callback, "actions", None) or {})

    def urls(self, values: dict[str, list[str]]) -> list[str]:
        """The concrete URLs of this pattern, one per combination of ``values`` (a list of
        candidate values per parameter)."""
        missing = [p for p in self.params if not values.get(p)]
        if missing:
            raise KeyError(missing)
        combos = product(*(values[p] for p in self.params))
        return ["/" + self.template % dict(zip(self.params, c, strict=True)) for c in combos]


def _strip_caret(regex: str) -> str:
    return regex[1:] if regex.startswith("^") else regex


def _walk(resolver, prefix_regex: str, prefix_route: str, namespace: tuple[str, ...]):
    for entry in resolver.url_patterns:
        regex = _strip_caret(entry.pattern.regex.pattern)
        route = prefix_route + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace + ((entry.namespace,) if entry.namespace else ())
            yield from _walk(entry, prefix_regex + regex, route, inner)
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespace, entry.name)) if entry.name else route
            [(template, params), *_rest] = normalize(prefix_regex + regex)
            yield Endpoint(route, name, entry.callback, template, tuple(params))


def endpoints() -> list[Endpoint]:
    """Every URL pattern of the project, in the resolver's order."""
    return list(_walk(get_resolver(), "", "", ()))


def route_words(endpoint: Endpoint, param: str) -> list[str]:
    """The path segments in front of ``param`` in the route, nearest first
    (``interactions/follow-ups/<int:pk>/edit/`` → ``["follow-ups", "interactions"]``)."""
    marker = re.search(rf"(<(\w+:)?{param}>|\(\?P<{param}>)", endpoint.route)
    before = endpoint.route[: marker.start()] if marker else endpoint.route
    words = [w for w in re.split(r"[/^$]+", before) if w and not w.startswith(("<", "("))]
    return list(reversed(words))


# --- which model a URL parameter names ------------------------------------------------------

# Route words that do not spell their model's name. Anything else is matched automatically
# against the models' names (``follow-ups`` → FollowUp, ``contacts`` → Contact).
ROUTE_ALIASES = {
    "customers": "customers.Account",  # customers/<pk>/...: the customers app's account pages
    "problems": "interactions.OpenProblem",
    "handovers": "customers.OwnershipTransfer",
    "at-risk": "retention.RiskFlag",
    "inbox": "crm.InboxItem",
    "step": "retention.RunStep",  # retention/plays/step/<pk>/: a run's step (its task)
    "run": "retention.PlaybookRun",  # retention/plays/run/<pk>/cancel/: a playbook run
    # admin/r/<content_type_id>/<object_id>/ ("view on site") takes any model's row; the tests
    # fill it with an account and the account's content type.
    "r": "customers.Account",
}
# Parameters that hold an object's id (besides ``<model>_id`` and ``<model>_pk``).
ID_PARAMS = {"pk", "id", "object_id", "_0"}


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


def model_for_word(word: str):
    """The model a route word or parameter stem names, or None."""
    from django.apps import apps

    if word in ROUTE_ALIASES:
        return apps.get_model(ROUTE_ALIASES[word])
    key = _squash(word)
    for candidate in (key, key.removesuffix("s")):
        for model in apps.get_models():
            meta = model._meta
            names = {meta.model_name, _squash(meta.verbose_name), _squash(meta.verbose_name_plural)}
            if candidate in names and not meta.model_name.startswith("historical"):
                return model
    return None


def model_admin_of(endpoint: Endpoint):
    """The ModelAdmin whose view an admin URL calls, or None."""
    from django.contrib.admin import ModelAdmin

    callback = endpoint.callback
    for candidate in (
        getattr(callback, "model_admin", None),
        getattr(getattr(callback, "__wrapped__", None), "__self__", None),
        getattr(callback, "__self__", None),
    ):
        if isinstance(candidate, ModelAdmin):
            return candidate
    return None


def object_model(endpoint: Endpoint, param: str):
    """The model whose row the URL parameter ``param`` names; None when the parameter is not
    an object's id. Raises ``LookupError`` when it is one but the model cannot be told."""
    stem = re.sub(r"_(id|pk)$", "", param)
    if stem != param and param not in ID_PARAMS:
        model = model_for_word(stem)
        if model is None:
            raise LookupError(f"{endpoint.name}: no model is called {stem!r} (param {param!r})")
        return model
    if param not in ID_PARAMS:
        return None
    admin = model_admin_of(endpoint)
    if admin is not None:
        return admin.model
    view = endpoint.view_class
    queryset = getattr(view, "queryset", None)
    if queryset is not None and endpoint.drf_actions:
        return queryset.model
    # The word right before the id names its model (``follow-ups/<pk>/edit/``); words further
    # out name something else (``customers/handovers/<pk>/`` is not an account).
    words = route_words(endpoint, param)
    model = model_for_word(words[0]) if words else None
    if model is not None:
        return model
    raise LookupError(
        f"{endpoint.name} ({endpoint.route}): cannot tell which model {param!r} names; add the "
        "route word to ROUTE_ALIASES in tests/crm/url_walk.py"
    )


# --- concrete URLs and what an answer means -------------------------------------------------

# Values for parameters that are not an object's id.
PLAIN_VALUES = {
    "action": ["acknowledge", "resolve", "snooze"],  # /retention/at-risk/<pk>/<action>/
    "app_label": ["customers"],  # /admin/<app_label>/
    "url": ["no-such-page/"],  # the admin's catch-all
    "_1": ["1"],  # the admin's /<object>/history/<history id>/ (django-simple-history)
    "token": ["not-a-key.not-a-signature"],  # /calendar/feed/<token>.ics (crm.feeds)
}


def fill(endpoint: Endpoint, rows: dict) -> dict[str, list[str]]:
    """A value (or several) for each parameter of ``endpoint``: the id of the row of its model
    in ``rows`` (a dict model → row), else of any stored row of that model, else (admin only)
    a plausible id. Raises ``LookupError`` naming what the filler lacks."""
    values = {}
    for param in endpoint.params:
        if param in PLAIN_VALUES:
            values[param] = PLAIN_VALUES[param]
            continue
        model = object_model(endpoint, param)
        if model is None:
            raise LookupError(
                f"{endpoint.name}: no value for {param!r}; add it to PLAIN_VALUES in "
                "tests/crm/url_walk.py"
            )
        row = rows.get(model) or model._default_manager.order_by("pk").first()
        if row is not None:
            values[param] = [str(row.pk)]
        elif endpoint.is_admin:
            # The admin checks the user before it looks the row up: any id shows that.
            values[param] = ["1"]
        else:
            raise LookupError(
                f"{endpoint.name}: no {model.__name__} row for {param!r}; create one in the "
                "test's rows fixture"
            )
    return values


def redirects_to(response, login_path: str, url: str) -> bool:
    """A redirect to ``login_path`` that comes back to ``url`` after signing in."""
    if response.status_code != 302:
        return False
    target = urlsplit(response["Location"])
    return target.path == login_path and parse_qs(target.query).get("next") == [url]


def verdict(endpoint: Endpoint, url: str, response) -> str:
    """``protected`` (sign in first: the sign-in redirect, or 401/403 from the API),
    ``method`` (405: the method is refused before anything else) or ``served`` (anything else:
    the view answered without asking who is there)."""
    if response.status_code == 405:
        return "method"
    if endpoint.is_api:
        protected = response.status_code in (401, 403)
    elif endpoint.is_admin:
        protected = redirects_to(response, reverse("admin:login"), url)
    else:
        protected = redirects_to(response, resolve_url(settings.LOGIN_URL), url)
    return "protected" if protected else "served"
