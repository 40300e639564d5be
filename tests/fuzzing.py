"""How many examples a randomised test (hypothesis, schemathesis) tries.

The profiles are registered in ``tests/conftest.py``: ``ci`` (the default, in CI and in
``make test``) draws the same examples on every run; ``fuzz`` (``make fuzz``) draws new ones
each run and many more of them, for a person hunting bugs on purpose. A failure found that way
becomes an ``@example`` on its test so every later run tries it.
"""

import os

from hypothesis import settings

# ``make fuzz`` multiplies each test's own count by this.
FUZZ_FACTOR = int(os.environ.get("FUZZ_FACTOR", "25"))


def examples(count: int) -> int:
    """``count`` examples, or ``FUZZ_FACTOR`` times as many under the ``fuzz`` profile."""
    return count * FUZZ_FACTOR if settings.get_current_profile_name() == "fuzz" else count
