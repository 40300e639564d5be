import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def in_english():
    """Each test starts in English and leaves the language as it found it: a request in
    German activates German for the rest of the thread."""
    with translation.override("en"):
        yield
