"""The scoring module's services for people: a CSM's sentiment reading."""

import pytest
from django.core.exceptions import ValidationError

from retention.health.scoring import record_sentiment
from retention.models import COMMENT_MAX_LENGTH, SentimentReading
from tests.factories import make_customer


@pytest.mark.django_db
def test_a_sentiment_reading_says_why_in_at_most_4000_characters(csm):
    account = make_customer(owner=csm)
    for comment in ("  ", "x" * (COMMENT_MAX_LENGTH + 1)):
        with pytest.raises(ValidationError) as exc:
            record_sentiment(account=account, author=csm, sentiment="red", comment=comment)
        assert list(exc.value.message_dict) == ["comment"]
    assert not SentimentReading.objects.exists()
    reading = record_sentiment(
        account=account, author=csm, sentiment="red", comment=f" {'x' * COMMENT_MAX_LENGTH} "
    )
    assert reading.comment == "x" * COMMENT_MAX_LENGTH
