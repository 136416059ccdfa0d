"""Import kinds: what can be imported, with which columns, and how rows are written.

Each app declares its kinds in ``<app>/importers.py`` and registers them::

    @register
    class EnterpriseImport(ImportKind):
        key = "enterprises"
        label = _("Enterprises")
        columns = [Column("name", _("Name"), Text(200), required=True, aliases=("企业名称",)), ...]

        def validate(self, rows): ...   # cross-row and database checks for one batch → [RowError]
        def write(self, rows, by): ...  # bulk writes + audit entries; the pipeline holds the transaction

``core.apps.CoreConfig.ready`` imports every installed app's ``importers`` module, so a new app
only needs the file.  A kind object is created per import run, so it may keep per-run caches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from zonebook.core.errors import RowError

from .parsers import Parser, to_ascii


def normalize_header(text: Any) -> str:
    """Header text compared loosely: ASCII, lower case, no blanks, no required-markers."""
    if text is None:
        return ""
    value = to_ascii(str(text)).strip().lower()
    for ch in (" ", "\n", "\r", "\t", "*", "（", "）"):
        value = value.replace(ch, "")
    return value.replace("(", "").replace(")", "")


@dataclass
class Column:
    key: str
    label: Promise | str
    parser: Parser
    required: bool = False
    aliases: tuple[str, ...] = ()
    example: Any = ""
    help_text: Promise | str = ""

    def header_names(self) -> set[str]:
        names = {normalize_header(self.key)}
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                names.add(normalize_header(str(self.label)))
        names.update(normalize_header(a) for a in self.aliases)
        names.discard("")
        return names

    def template_header(self) -> str:
        """The Chinese header used in templates and messages: the first alias, else the label."""
        if self.aliases:
            return self.aliases[0]
        with translation.override("zh-hans"):
            return str(self.label)


@dataclass
class Row:
    """One data row: spreadsheet row number, parsed values by column key, and the raw cells."""

    number: int
    values: dict[str, Any]
    raw: dict[str, Any] = field(default_factory=dict)


class ImportKind:
    key: str = ""
    label: Promise | str = ""
    description: Promise | str = ""
    columns: list[Column] = []
    write_area: str = "registry"  # user.can_write(write_area) is required to import
    batch_size: int = 1000
    # Optional ``row_weight(row) -> int``: a row standing for many records (the customs import's
    # row is a whole message of many lines) counts, batches and reports as that many.
    # Staged writing (staging.py): batches are committed one by one in a state no reader sees,
    # then ``publish`` makes them visible in one short transaction or ``discard`` deletes them.
    staged: bool = False
    # Update mode (updates.py): with ``update_mode`` the user may choose "create and update": rows
    # whose key (``key_fields``, model field names of ``model``) exists update the stored record,
    # only in ``update_fields`` (those the row gives), never in ``immutable_fields`` (refused).
    model = None
    update_mode: bool = False
    key_fields: tuple[str, ...] = ()
    update_fields: tuple[str, ...] = ()
    immutable_fields: tuple[str, ...] = ()
    field_columns: dict[str, str] = {}  # model field → column key, where the names differ
    # update fields compared and previewed like the others, but set aside before ``write_changes``
    # and written by ``after_update`` through the app's services (e.g. dates that are milestones)
    deferred_fields: tuple[str, ...] = ()
    # Files the kind reads.  Empty: the spreadsheet formats of ``readers.ALLOWED_EXTENSIONS``.  A
    # kind that reads another format (customs XML messages) names its extensions and implements
    # ``read_rows``.
    extensions: tuple[str, ...] = ()

    def __init__(self, user=None):
        self.user = user
        self.source_file = None  # (path, file name) of the file, set by the pipeline before ``prepare``
        self.mode = "create"
        self.headers: dict[str, str] = {}  # column key → header text as found in the file

    def set_mode(self, mode: str) -> None:
        """ "create" (every key must be new) or, for kinds with ``update_mode``, "update"."""
        from .updates import CREATE, UPDATE

        if mode not in (CREATE, UPDATE) or (mode == UPDATE and not self.update_mode):
            raise ValueError(f"import kind {self.key!r} has no mode {mode!r}")
        self.mode = mode

    @property
    def updating(self) -> bool:
        """True in update mode: a key that exists updates its record instead of being an error."""
        return self.mode == "update"

    # -- hooks -------------------------------------------------------------------------------
    def read_rows(self, path, filename: str, result):
        """Own reader for a non-spreadsheet format: an iterator of ``Row`` or ``RowError`` in file
        order (it sets ``self.headers`` and ``result.headers`` for the preview), or None to read the
        file as a spreadsheet with the kind's columns (the default)."""
        return None

    @classmethod
    def allowed_extensions(cls) -> tuple[str, ...]:
        from .readers import ALLOWED_EXTENSIONS

        return tuple(cls.extensions) or tuple(sorted(ALLOWED_EXTENSIONS))

    def prepare(self) -> None:
        """Load per-run lookups (code tables, zones in scope) once, before the first row."""
        for col in self.columns:
            prep = getattr(col.parser, "prepare", None)
            if callable(prep):
                prep()

    def validate(self, rows: list[Row]) -> list[RowError]:
        """Cross-row and database checks for one batch of rows that parsed cleanly."""
        return []

    def batch_key(self, row: Row):
        """Rows with the same key are kept in one batch when they follow each other: a full batch
        is closed only where the key changes (the lines of one inventory list).  None: any row."""
        return None

    def write(self, rows: Iterable[Row], by) -> int:
        """Write the rows (inside the pipeline's transaction); returns the number written."""
        raise NotImplementedError

    def complete(self, by) -> list:
        """After the last batch of a clean file is written, in the same transaction (not staged
        kinds): work over the whole file (the customs receipts are applied in their time order).
        Returns RowErrors (the import is then rolled back)."""
        return []

    # -- update mode (update_mode = True; see updates.py) ---------------------------------------
    def records(self, row: Row) -> list:
        """The unsaved model instances a validated row describes (``row.obj`` as ``validate`` built it)."""
        obj = getattr(row, "obj", None)
        return [] if obj is None else [obj]

    def find_existing(self, keys: list[tuple], *, lock: bool = False) -> dict:
        """The stored records of the given keys, in one query."""
        from .updates import find_existing

        return find_existing(self, keys, lock=lock)

    def record_key(self, obj) -> tuple:
        """The key of a record (stored or described by a row): its ``key_fields`` values."""
        from .updates import record_key

        return record_key(self, obj)

    def key_text(self, obj) -> str:
        """The key as the preview shows it (related records by name)."""
        from .updates import display

        return " / ".join(display(obj, name) for name in self.key_fields if display(obj, name))

    def existing_queryset(self):
        """Where ``find_existing`` looks for stored records (a code table's codes, not all codes)."""
        return self.model._base_manager.all()

    def refuse_update(self, row: Row, stored, new) -> RowError | None:
        """An error if this row may not update ``stored`` at all (e.g. a record outside the
        importer's scope); None to go on comparing fields."""
        return None

    def merge(self, stored, new) -> None:
        """Complete the row's record from the stored one before they are compared (e.g. keys of a
        JSON field the file does not hold)."""

    def column_of(self, name: str) -> str:
        """The column key of a model field (for errors and for "does the row give this field")."""
        return self.field_columns.get(name, name)

    def given_fields(self, row: Row) -> set[str]:
        """Model fields the row sets: its column is in the file and the cell is not blank.  A blank
        cell or a column left out keeps the stored value (an update never clears a field)."""
        from .parsers import is_blank

        out = set()
        for name in set(self.update_fields) | set(self.immutable_fields):
            col = self.column_of(name)
            if col in self.headers and not is_blank(row.raw.get(col)):
                out.add(name)
        return out

    def field_label(self, name: str) -> str:
        col = self.column_of(name)
        if any(c.key == col for c in self.columns):
            return self.header(col)
        return str(self.model._meta.get_field(name).verbose_name)

    def immutable_error(self, row: Row, name: str, stored, new) -> RowError:
        from .updates import display

        return RowError(
            row=row.number,
            column=self.field_label(name),
            value=display(new, name),
            reason=_(
                "%(field)s of an existing record cannot be changed by an import (it is “%(before)s”); "
                "leave the cell as it is or change it on the record's page."
            )
            % {"field": self.field_label(name), "before": display(stored, name)},
        )

    def keep_new(self, row: Row, objs: list) -> None:
        """Before ``write`` in update mode: the row's records that are new (the others exist)."""
        row.obj = objs[0] if objs else None

    def compare_value(self, obj, name: str):
        """The value of field ``name`` compared between the stored record and the row's record (and
        kept as before/after): the column value by default.  Override for a relation the row may
        name before it exists (e.g. an investor created by the import)."""
        from .updates import _value

        return _value(obj, name)

    def write_changes(self, changes: list, by) -> int:
        """Write the changed records (update mode): one ``bulk_update`` and one audit entry per record
        with before/after, e.g. ``zonebook.audit.services.bulk_update(changes, by=by, code=...)``.
        The changes of ``deferred_fields`` are not among them (``after_update`` gets those)."""
        raise NotImplementedError

    def after_update(self, changes: list, by) -> None:
        """The changes of ``deferred_fields`` (``updates.Change`` holding only those fields), called
        after ``write_changes`` wrote the batch's other changes: write them through the app's
        services (one call per record is expected here: these are the exceptions a service owns)."""
        raise NotImplementedError

    # -- staged writing (staged = True) --------------------------------------------------------
    def begin_staging(self) -> None:
        """Called once before the first staged batch (``write``/``write_checked`` then commit each
        batch in the hidden state)."""
        raise NotImplementedError

    def publish(self, by) -> list[RowError]:
        """Make every staged row visible in one transaction; return errors (then nothing changed)."""
        raise NotImplementedError

    def discard(self) -> None:
        """Delete every staged row (the compensating rollback); called after any failure."""
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------------------------
    def write_checked(self, rows: list[Row], by) -> list[RowError] | None:
        """Optional single pass: validate AND write a batch (inside the pipeline's transaction).

        Return the batch's errors (the pipeline then rolls everything back and reports them), or None
        when the kind has no single pass (then ``validate`` and ``write`` run one after the other).
        Kinds whose validation is "run the writes and roll back" implement it, halving the work of
        a clean file (the ledger kinds: ``ledger.importers.LedgerImport``).
        """
        return None

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    def header(self, key: str) -> str:
        """The header text the user sees for a column (as in the file, else the Chinese label)."""
        return self.headers.get(key) or str(self.column(key).label)

    def error(self, row: Row, key: str, reason: str) -> RowError:
        from .parsers import display

        return RowError(
            row=row.number, column=self.header(key), value=display(row.raw.get(key)), reason=str(reason)
        )


_REGISTRY: dict[str, type[ImportKind]] = {}


def register(cls: type[ImportKind]) -> type[ImportKind]:
    if not cls.key:
        raise ValueError(f"{cls.__name__} has no key")
    _REGISTRY[cls.key] = cls
    return cls


def get_kind(key: str) -> type[ImportKind] | None:
    return _REGISTRY.get(key)


def all_kinds() -> list[type[ImportKind]]:
    return sorted(_REGISTRY.values(), key=lambda k: k.key)


def autodiscover() -> None:
    """Import ``<app>.importers`` for every installed zonebook app."""
    from importlib import import_module

    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith("zonebook."):
            continue
        try:
            import_module(f"{config.name}.importers")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.importers":
                raise
