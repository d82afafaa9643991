"""Statements over many rows at once that stay cheap to build, send and plan.

On PostgreSQL a list of values goes as one array parameter: `id = ANY(:ids)` instead of
`id IN (:id_1, …, :id_200)`, and many rows as one array per column through `unnest`. The
statement's text is then the same short text whatever the number of rows, so the driver's
cache of converted statements (which holds only statements of at most 50 parameters) and the
server's parser each do their work once, not once per row: converting a 3,000-placeholder
INSERT was a tenth of a worker's CPU. SQLite has neither arrays nor `unnest`; there the same
helpers build the ordinary `IN` list and executemany.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    any_,
    bindparam,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.roles import ColumnsClauseRole

T = TypeVar("T")

#: The value of a row's column inside a statement: `Param("status")`.
Param = Callable[[str], ColumnElement[Any]]


def on_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def among(
    session: Session, column: ColumnElement[T] | QueryableAttribute[T], values: Iterable[T]
) -> ColumnElement[bool]:
    """`column` is one of `values`: one array parameter on PostgreSQL, an `IN` list elsewhere."""
    listed = list(values)
    expression = column.expression
    if on_postgres(session):
        return expression == any_(literal(listed, postgresql.ARRAY(expression.type)))
    return expression.in_(listed)


def _unnest(table: Table, names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Any:
    arrays = [
        literal([row[name] for row in rows], postgresql.ARRAY(table.c[name].type)) for name in names
    ]
    return func.unnest(*arrays).table_valued(*names).render_derived(name="v")


def update_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str],
    values: Callable[[Param], Mapping[str, Any]],
    where: Callable[[Param], Sequence[ColumnElement[bool]]] = lambda _: (),
) -> None:
    """Update one table row per entry of `rows` (a mapping of column names to values), in
    one statement.

    A row is matched by its `keys` columns (and `where`); `values` says what to set, each
    entry a constant, an expression, or `p(name)` for the entry's own value of that column.
    """
    if not rows:
        return
    names = list(rows[0])
    if on_postgres(session):
        v = _unnest(table, names, rows)
        p: Param = lambda name: v.c[name]  # noqa: E731 - one line reads better here
        session.execute(
            update(table)
            .where(*[table.c[key] == v.c[key] for key in keys], *where(p))
            .values(dict(values(p)))
            .execution_options(synchronize_session=False)
        )
        return
    b: Param = lambda name: bindparam(f"b_{name}")  # noqa: E731
    session.execute(
        update(table)
        .where(*[table.c[key] == b(key) for key in keys], *where(b))
        .values(dict(values(b)))
        .execution_options(synchronize_session=False),
        [{f"b_{name}": row[name] for name in names} for row in rows],
    )


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: ColumnElement[T] | None = None,
    skip_conflicts: bool = False,
) -> list[T]:
    """Insert `rows` (mappings of the same column names) in one statement; the `returning`
    column of the rows inserted, in no particular order. With `skip_conflicts`, a row that
    meets a unique key is left out (`ON CONFLICT DO NOTHING`)."""
    if not rows:
        return []
    names = list(rows[0])
    if on_postgres(session):
        v = _unnest(table, names, rows)
        statement: Any = postgresql.insert(table).from_select(
            names, select(*[cast(ColumnsClauseRole, v.c[name]) for name in names])
        )
        parameters: Any = None
    else:
        statement = sqlite.insert(table)
        parameters = [dict(row) for row in rows]
    if skip_conflicts:
        statement = statement.on_conflict_do_nothing()
    if returning is not None:
        statement = statement.returning(returning)
        return list(session.execute(statement, parameters).scalars())
    session.execute(statement, parameters)
    return []
