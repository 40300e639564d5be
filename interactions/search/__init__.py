"""Global search: accounts by name or external ID, contacts by name or email, interactions by
summary and notes, within the reader's scope (``crm.scoping``), ranked and grouped by kind.

It spans customers and interactions, so it lives in ``interactions`` (the lowest app that may
import both) and imports downward only.

- ``selectors``  the search itself: PostgreSQL full-text search on stored, generated search
  vectors (migration ``interactions/0008_search_vectors``) with a plain ``icontains`` fallback
  on other databases, both answering the same ``Hit`` rows
- ``forms``      the bounded query (the page's and the API's)
- ``views``, ``urls``  the page ``/search/?q=…``; ``api`` the endpoint ``/api/v1/search/``
"""
