"""How a server process runs the application (issue 18): the garbage collector tuned for a web
server, called once the application is loaded (``crm/wsgi.py``; ``bench/profile_page.py``
measures pages the same way).

CPython collects its youngest objects every 700 allocations and, now and then, all of them:
in a worker that had loaded Django, the apps and their URL patterns (140,000 objects), every
20th portfolio request paid a full collection of 145 ms, and the young collections took
another 3 % of every page. A request's own objects are freed by reference counting as soon as
they are done with; the collector is only for reference cycles, which are still collected,
less often. So: what start-up loaded is frozen out of the collector's sight, and it runs once
50,000 objects more are alive than were, not 700.
"""

import gc

GC_THRESHOLDS = (50_000, 20, 100)


def tune_garbage_collector() -> None:
    gc.collect()  # what start-up left as garbage is not frozen with the rest
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
