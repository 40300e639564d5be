"""``GET /api/v1/search/?q=…``: the hits of the search page as JSON."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .forms import MAX_PAGE, SearchQueryForm
from .selectors import MAX_QUERY_LENGTH, Kind


class HitSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField(help_text=_("The page that shows the row (a path)."))


class SearchResultSerializer(serializers.Serializer):
    q = serializers.CharField()
    results = HitSerializer(many=True)
    more = serializers.DictField(
        child=serializers.CharField(),
        help_text=_("For each kind with more hits than listed: the URL of its next page."),
    )


class SearchView(APIView):
    """Accounts by name or external ID, contacts by name or email, interactions by words of
    their summary or notes, among the rows you may read, best first. Without ``kind``: the
    best 5 of each kind (as on the search page); with ``kind``: 20 a page, up to 200."""

    @extend_schema(
        summary="Search accounts, contacts and interactions",
        parameters=[
            OpenApiParameter(
                "q", str, required=True, description=f"At most {MAX_QUERY_LENGTH} characters."
            ),
            OpenApiParameter("kind", str, enum=Kind.values, description="Only this kind."),
            OpenApiParameter("page", int, description=f"With kind: page 1 to {MAX_PAGE}."),
        ],
        responses=SearchResultSerializer,
    )
    def get(self, request):
        form = SearchQueryForm(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors)
        query, kind, page = (form.cleaned_data[name] for name in ("q", "kind", "page"))
        found = selectors.results(request.user, query, kind=kind, page=page)
        here = reverse("api:search")
        more = {name: here + link for name in found.found if (link := found.more_link(name))}
        data = {"q": query, "results": HitSerializer(found.hits, many=True).data, "more": more}
        return Response(data)
