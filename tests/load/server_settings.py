"""The project's settings for the gunicorn that ``test_load_short`` starts: the same as
production but for the password hasher, which matches the test suite's fast one (see
``tests/conftest.py``) so that the test users' passwords check."""

from crm.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
