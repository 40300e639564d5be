"""CSV import: what every kind of import shares, knowing no app.

- ``errors``   the problems of a file, capped, and ``ImportFailed``;
- ``reading``  the file: its size, encoding, delimiter (comma or semicolon) and header;
- ``rows``     one row's values, read as text, numbers, dates, … with messages a user can read;
- ``runner``   the upsert runner every kind runs on (parse, check every row, all or nothing,
  report, write in bulk) and the registry of kinds.

The kinds live next to their models (``customers.importers``, ``interactions.importers``) and
register themselves; ``runner.importers()`` finds them with Django's module autodiscovery, so the
admin page (``crm.admin_import``) and the ``import_csv`` command offer every kind without
importing an app.
"""
