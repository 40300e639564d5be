"""The API's endpoints of the signed-in user: ``/api/v1/me/`` and rotating their private
calendar feed. Apart from ``crm.api``, which DRF's settings import before its views exist."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import feeds, inbox


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    team = serializers.CharField(source="team.name", default=None, allow_null=True, read_only=True)
    language = serializers.CharField(read_only=True)
    daily_digest = serializers.BooleanField(read_only=True)
    inbox_unread = serializers.SerializerMethodField()
    calendar_feed_url = serializers.SerializerMethodField(
        help_text=_("Your private calendar feed (text/calendar). Keep it secret.")
    )

    def get_inbox_unread(self, user) -> int:
        return inbox.unread_count(user)

    def get_calendar_feed_url(self, user) -> str:
        return self.context["request"].build_absolute_uri(feeds.feed_path(user))


class FeedUrlSerializer(serializers.Serializer):
    calendar_feed_url = serializers.URLField(read_only=True)


class MeView(APIView):
    """``GET /api/v1/me/``: who you are, your unread inbox count and your private calendar
    feed's URL."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user, context={"request": request}).data)


class RotateCalendarFeedView(APIView):
    """``POST /api/v1/me/calendar-feed/rotate/``: a new private feed URL; the old one answers
    404 from now on."""

    @extend_schema(request=None, responses=FeedUrlSerializer)
    def post(self, request):
        feeds.rotate_feed(user=request.user)
        url = request.build_absolute_uri(feeds.feed_path(request.user))
        return Response({"calendar_feed_url": url})
