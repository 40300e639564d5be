"""Admin autocomplete widgets that survive a tampered request.

Django 5.2's ``AutocompleteSelect`` redisplays a refused form by filtering the related rows
with the posted values as they are; a word where an id belongs ("abc") raises ``ValueError``
there, a server error instead of the form's own "Select a valid choice". These widgets drop
the values the related key cannot hold before that lookup (tests/bad_input).
"""

from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError


class _TolerantOptgroups:
    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        opts = remote.model._meta
        target = opts.get_field(getattr(remote, "field_name", None) or opts.pk.attname)
        kept = []
        for item in value:
            try:
                target.to_python(item)
            except (ValidationError, TypeError, ValueError):
                continue
            kept.append(item)
        return super().optgroups(name, kept, attr)


class TolerantAutocompleteSelect(_TolerantOptgroups, AutocompleteSelect):
    pass


class TolerantAutocompleteSelectMultiple(_TolerantOptgroups, AutocompleteSelectMultiple):
    pass


class TolerantAutocomplete:
    """ModelAdmin mixin: its ``autocomplete_fields`` use the widgets above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = TolerantAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = TolerantAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
