"""``field__any=values``: membership in a large set of values with ONE parameter.

``__in`` writes a placeholder per value; for the thousands of ids a batch service filters on (the
lists of an import, the receipts of a file) compiling that SQL and converting its parameters took
longer than running it.  On PostgreSQL ``__any`` writes ``field = ANY(%s)`` with the values as one
array; elsewhere it is ``IN (…)`` as before.  An empty set matches nothing, like ``__in``.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup


@Field.register_lookup
@ForeignObject.register_lookup  # (a relation has lookups of its own: ``book_id__any``)
class Any(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [self.lhs.output_field.get_db_prep_value(v, connection) for v in self.rhs]
        if not values:
            raise EmptyResultSet
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]
