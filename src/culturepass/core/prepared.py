"""Reads of one row and its parents with a statement built once per process.

For the busiest requests only (booking, app token check): there the ORM spent several
times longer compiling a ``select_related`` query than PostgreSQL took to run it.
:class:`PreparedRead` returns the same model instances, with the same related caches
filled, as ``Model.objects.select_related(*related).filter(...).first()`` would.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection, models


@functools.cache
def _converters(field: Any) -> tuple[Any, tuple[Any, ...]]:
    """What the ORM applies to a column of ``field`` read back (e.g. JSON decoding): the
    column expression the converters expect, and the converters."""
    col = field.get_col(field.model._meta.db_table)
    return col, tuple(connection.ops.get_db_converters(col) + col.get_db_converters(connection))


class PreparedRead[M: models.Model]:
    """``SELECT`` of ``model`` (alias ``t0``) joined to the parents named in ``related``
    (``select_related`` paths through non-null foreign keys), filtered by ``where``.

    ``where`` is SQL on the base table's columns (``t0."prefix" = %s``); every value must
    be a parameter. The statement is built on first use, from the models' metadata.
    """

    def __init__(self, model: type[M], *, related: Sequence[str], where: str) -> None:
        self.model = model
        self.related = tuple(related)
        self.where = where

    @functools.cached_property
    def _plan(self) -> tuple[str, list[tuple[str | None, str, Any, tuple[Any, ...]]]]:
        """The SQL, and per joined model: parent alias, the foreign key's name on the
        parent, the model and its fields in column order."""
        quote = connection.ops.quote_name
        aliases: dict[str, tuple[str, type[models.Model]]] = {"": ("t0", self.model)}
        layout: list[tuple[str | None, str, Any, tuple[Any, ...]]] = [
            (None, "", self.model, tuple(self.model._meta.concrete_fields))
        ]
        joins = []
        for path in self.related:
            parent_path, _, name = path.rpartition("__")
            parent_alias, parent_model = aliases[parent_path]
            field = parent_model._meta.get_field(name)
            if not isinstance(field, models.ForeignKey) or field.null:
                raise ValueError(f"{path}: only non-null foreign keys are supported")
            target = field.related_model
            assert isinstance(target, type)
            assert issubclass(target, models.Model)
            alias = f"t{len(aliases)}"
            aliases[path] = (alias, target)
            joins.append(
                f"JOIN {quote(target._meta.db_table)} {alias} ON {alias}."
                f"{quote(field.target_field.column or 'id')} = {parent_alias}."
                f"{quote(field.column or field.attname)}"
            )
            layout.append((parent_alias, name, target, tuple(target._meta.concrete_fields)))
        columns = [
            f"{aliases[path][0]}.{quote(f.column)}"
            for path, (_parent, _name, _model, fields) in zip(
                ["", *self.related], layout, strict=True
            )
            for f in fields
        ]
        # Table and column names are the models' own; values are the caller's parameters.
        sql = (
            f"SELECT {', '.join(columns)} FROM {quote(self.model._meta.db_table)} t0 "  # noqa: S608
            f"{' '.join(joins)} WHERE {self.where} LIMIT 1"
        )
        return sql, layout

    def first(self, params: Sequence[Any]) -> M | None:
        sql, layout = self._plan
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            row = cursor.fetchone()
        if row is None:
            return None
        by_alias: dict[str, models.Model] = {}
        start = 0
        for index, (parent_alias, name, model, fields) in enumerate(layout):
            values = list(row[start : start + len(fields)])
            start += len(fields)
            for i, field in enumerate(fields):
                col, converters = _converters(field)
                for convert in converters:
                    values[i] = convert(values[i], col, connection)
            instance = model.from_db(connection.alias, [f.attname for f in fields], values)
            by_alias[f"t{index}"] = instance
            if parent_alias is not None:
                # The descriptor fills the same cache select_related does.
                setattr(by_alias[parent_alias], name, instance)
        found = by_alias["t0"]
        assert isinstance(found, self.model)
        return found


class PreparedInsert[M: models.Model]:
    """``INSERT`` of a few new ``model`` rows in one statement built once per row count,
    filling their primary keys, as ``bulk_create`` (or ``objects.create``) would.

    For rows written by the busiest requests (the audit entry and the emails of a
    booking), where the ORM spent longer compiling the INSERT than PostgreSQL ran it.
    More than :attr:`MAX_ROWS` rows go through ``bulk_create``: batches vary in size and
    are rare, so their statements are not worth keeping.
    """

    MAX_ROWS = 8

    def __init__(self, model: type[M]) -> None:
        self.model = model

    @functools.cached_property
    def _fields(self) -> tuple[Any, ...]:
        return tuple(f for f in self.model._meta.concrete_fields if not f.primary_key)

    @functools.cache  # noqa: B019 - one per model and row count, kept for the process
    def _sql(self, rows: int) -> str:
        quote = connection.ops.quote_name
        meta = self.model._meta
        columns = ", ".join(quote(f.column) for f in self._fields)
        row = f"({', '.join(['%s'] * len(self._fields))})"
        # Table and column names are the model's own; every value is a parameter.
        return (
            f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608
            f"VALUES {', '.join([row] * rows)} RETURNING {quote(meta.pk.column or 'id')}"
        )

    def insert(self, objs: Sequence[M]) -> list[M]:
        if not objs:
            return []
        if len(objs) > self.MAX_ROWS:
            return self.model._default_manager.bulk_create(objs)
        params = [
            f.get_db_prep_save(f.pre_save(obj, True), connection)
            for obj in objs
            for f in self._fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(self._sql(len(objs)), params)
            ids = [row[0] for row in cursor.fetchall()]
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = connection.alias
        return list(objs)
