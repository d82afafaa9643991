"""The report rollups: what `report_rollup` and `invitation_rollup` hold, the triggers that
keep them, their rebuild.

Every report figure is a sum over cells (one event × one community, see the API's
`reports/cells.py`), and each cell's figures need only counts, sums and sums of squares. So
those are kept per key:

    (event, community, item, wave, value) → n, total, squares, at_1 … at_5, positive

- `item` is a survey item code (`attitude`, `rating`, `cross_group_talk`, and the item bank's
  others, `birge_shared.survey_items`) or `response` (one per answer row: the respondents of
  a wave).
- `wave` is the survey's kind (`pre`, `post`, and any later wave stored the same way), or a
  pair `earlier:later` for the change of a paired item, counted once per person answering the
  item in both waves, under the community of the later answer: n pairs, the sum of
  later − earlier and of its square, and in `positive` the pairs whose value rose.
- `value` is empty: each row holds the moments over every answer (n, Σx, Σx²) and, for an
  item whose distribution a report shows (`SurveyItem.distribution`: the rating, join
  again), its counts per answer value in `at_1` … `at_5`, so a distribution is one row per
  cell. (Before migration 0031 such counts were a row per value; `ITEM_BANK` and `FIRST`
  still build that shape for their migrations.) Yes/no items count yes as 1.

A new item or wave is new keys, not a new table: `SURVEY_ITEMS` and `PAIRED_ITEMS` say what
the triggers roll up (every attitude item of the bank over `pre:post`, `post:followup` and
`pre:followup`), and a migration that changes them re-creates the triggers from here, naming
its own `Scheme` so an older migration keeps building the triggers of its revision.

Invitations are counted apart, in `invitation_rollup`: one row per cell with a column per
status (a closed list), because every report reads all the statuses of a cell together.

**Why triggers.** An answer has one writer (`surveys.record_answers`), but an invitation's
status is changed in a dozen places (sending, answers, expiry in bulk, waitlist moves, check-in
and its undo, withdrawals, erasure's release) and a participant's community moves all their
invitations between cells. A trigger sees every one of those writes, inside the writing
transaction, with the same row-level upsert (`ON CONFLICT … DO UPDATE SET n = n + excluded.n`)
on PostgreSQL and SQLite, so concurrent writers add to a row instead of overwriting it. The
one race a trigger cannot see — the pre and the post answer of one person written at the same
time, neither seeing the other uncommitted — `record_answers` closes by locking the person.

**Erasure and retention.** Erasing a participant clears their contact data, withdraws their
open invitations (the trigger moves those counts) and clears their comments; the answers stay
under the pseudonym, so every survey sum stays. The retention purge clears old comments and
inbound texts only: no figure rests on them, and the triggers count only rows whose figures'
columns changed, so the rollups stay as they are. Participants and events are erased or
cancelled, never deleted by the application; a deleted event's rows are left behind unread.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, text

from birge_shared import survey_items
from birge_shared.models.enums import InvitationStatus

TABLE = "report_rollup"
#: The community key of people who did not declare one.
NOT_DECLARED = ""
#: The value key of the moments over every answer.
ALL_VALUES = ""

RESPONSE = "response"


@dataclass(frozen=True)
class SurveyItem:
    """A survey item stored as a column of `survey_response`."""

    code: str
    #: SQL of the item's numeric value on the row alias `{row}`.
    value_sql: str
    #: SQL that is true when the row answered the item.
    answered_sql: str
    #: Whether its answers are also counted per value (a report shows its distribution);
    #: every other item keeps its moments only, which keeps the table small.
    distribution: bool = False
    #: The `survey_response` column it reads (the code, unless named otherwise).
    column: str = ""

    @property
    def source_column(self) -> str:
        return self.column or self.code

    def value(self, row: str) -> str:
        return self.value_sql.format(row=row)

    def answered(self, row: str) -> str:
        return self.answered_sql.format(row=row)


ATTITUDE = SurveyItem("attitude", "{row}.attitude", "{row}.attitude IS NOT NULL")
RATING = SurveyItem("rating", "{row}.rating", "{row}.rating IS NOT NULL", distribution=True)
CROSS_GROUP_TALK = SurveyItem(
    "cross_group_talk",
    "CASE WHEN {row}.cross_group_talk THEN 1 ELSE 0 END",
    "{row}.cross_group_talk IS NOT NULL",
)
#: The items the first rollup migration (0024) knew; it builds its triggers from these alone,
#: since the later items' columns do not exist yet at that revision.
FIRST_ITEMS: tuple[SurveyItem, ...] = (ATTITUDE, RATING, CROSS_GROUP_TALK)


def _bank_item(item: survey_items.BankItem) -> SurveyItem:
    if item.stored_boolean:
        return SurveyItem(
            item.code,
            f"CASE WHEN {{row}}.{item.column} THEN 1 ELSE 0 END",
            f"{{row}}.{item.column} IS NOT NULL",
            column=item.column,
        )
    return SurveyItem(
        item.code,
        f"{{row}}.{item.column}",
        f"{{row}}.{item.column} IS NOT NULL",
        # The choices without an order (join again: yes, maybe, no) are shown as counts.
        distribution=item.answer is survey_items.Answer.CHOICE
        and item.family is survey_items.Family.BEHAVIOUR,
        column=item.column,
    )


SURVEY_ITEMS: tuple[SurveyItem, ...] = (
    *FIRST_ITEMS,
    *(_bank_item(item) for item in survey_items.BANK if item is not survey_items.ATTITUDE),
)
ITEMS_BY_CODE: dict[str, SurveyItem] = {item.code: item for item in SURVEY_ITEMS}


@dataclass(frozen=True)
class PairedItem:
    """An item whose change from one wave to a later one is a figure."""

    item: SurveyItem
    earlier: str
    later: str

    @property
    def wave(self) -> str:
        return pair_wave(self.earlier, self.later)


def pair_wave(earlier: str, later: str) -> str:
    return f"{earlier}:{later}"


FIRST_PAIRS: tuple[PairedItem, ...] = (PairedItem(ATTITUDE, "pre", "post"),)
#: Every attitude item of the bank, over every pair of waves; the attitude's pre → post first.
PAIRED_ITEMS: tuple[PairedItem, ...] = (
    *FIRST_PAIRS,
    *(
        PairedItem(ITEMS_BY_CODE[item.code], earlier, later)
        for item in survey_items.ATTITUDE_ITEMS
        for earlier, later in survey_items.PAIRED_WAVES
        if (item.code, earlier, later) != (ATTITUDE.code, "pre", "post")
    ),
)


#: The answer values a distribution item's moments row counts in a column each (`at_1` …),
#: in the wide shape: every distribution item's values lie among them.
COUNTED_VALUES: tuple[int, ...] = (1, 2, 3, 4, 5)
COUNT_COLUMNS: tuple[str, ...] = tuple(f"at_{value}" for value in COUNTED_VALUES)
#: The pair rows' count of people whose value rose (later − earlier > 0), in the wide shape.
POSITIVE = "positive"


@dataclass(frozen=True)
class Scheme:
    """What the triggers roll up: the items and the pairs (a migration names its own)."""

    items: tuple[SurveyItem, ...]
    paired: tuple[PairedItem, ...]
    #: The wide shape (migration 0031): a distribution's counts per value are columns of its
    #: moments row, and a pair row counts its rises; before it, a row per value.
    wide: bool = False
    #: On PostgreSQL, invitations are counted once per statement (migration 0036), not once
    #: per row: a batch of ten thousand invitations, inserted or marked sent 500 rows a
    #: statement, then adds to its cell's row twenty times instead of ten thousand, and holds
    #: that row's lock for one statement's upsert.
    invitations_per_statement: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        base = ("event_id", "community", "item", "wave", "value", "n", "total", "squares")
        return (*base, *COUNT_COLUMNS, POSITIVE) if self.wide else base

    @property
    def answer_columns(self) -> tuple[str, ...]:
        return (
            "event_id",
            "pseudonym",
            "kind",
            "community",
            *dict.fromkeys(item.source_column for item in self.items),
        )


#: The wide shape's scheme (0031), invitations counted per row.
WIDE = Scheme(SURVEY_ITEMS, PAIRED_ITEMS, wide=True)
CURRENT = Scheme(SURVEY_ITEMS, PAIRED_ITEMS, wide=True, invitations_per_statement=True)
#: The item bank's scheme (0028), a row per distribution value.
ITEM_BANK = Scheme(SURVEY_ITEMS, PAIRED_ITEMS)
FIRST = Scheme(FIRST_ITEMS, FIRST_PAIRS)

_KEY = "event_id, community, item, wave, value"
_SUMMED = 5  # the columns after the key


def _community(expression: str) -> str:
    return f"COALESCE(CAST({expression} AS TEXT), '{NOT_DECLARED}')"


def _upsert(select_sql: str, scheme: Scheme) -> str:
    # The existing row is named by the table, which both dialects read the same way.
    added = ", ".join(
        f"{column} = {TABLE}.{column} + excluded.{column}" for column in scheme.columns[_SUMMED:]
    )
    return (
        f"INSERT INTO {TABLE} ({', '.join(scheme.columns)}) {select_sql} "
        f"ON CONFLICT ({_KEY}) DO UPDATE SET {added}"
    )


def _extra(scheme: Scheme, counts: str = "", positive: str = "0") -> str:
    """The wide shape's columns after the squares: the counts per value, then the rises."""
    if not scheme.wide:
        return ""
    return f", {counts or ', '.join('0' for _ in COUNT_COLUMNS)}, {positive}"


def _counts(item: SurveyItem, sign: int) -> str:
    value = item.value("r")
    return ", ".join(
        f"{sign} * sum(CASE WHEN {value} = {counted} THEN 1 ELSE 0 END)"
        for counted in COUNTED_VALUES
    )


# ------------------------------------------------------------------ answers' shares


def _answer_selects(source: str, sign: int, scheme: Scheme = CURRENT) -> Iterator[str]:
    """Per cell, the response count and each item's moments and counts per value of the
    answer rows in `source` (a table or a parenthesised query), times `sign`."""
    community = _community("r.community")
    keys = "r.event_id, r.community, r.kind"
    yield (
        f"SELECT r.event_id, {community}, '{RESPONSE}', r.kind, '{ALL_VALUES}', "
        f"{sign} * count(*), 0, 0{_extra(scheme)} FROM {source} AS r GROUP BY {keys}"
    )
    for item in scheme.items:
        value = item.value("r")
        sums = f"{sign} * count(*), {sign} * sum({value}), {sign} * sum({value} * {value})"
        counts = _counts(item, sign) if item.distribution else ""
        yield (
            f"SELECT r.event_id, {community}, '{item.code}', r.kind, '{ALL_VALUES}', {sums}"
            f"{_extra(scheme, counts)} FROM {source} AS r WHERE {item.answered('r')} "
            f"GROUP BY {keys}"
        )
        if item.distribution and not scheme.wide:
            yield (
                f"SELECT r.event_id, {community}, '{item.code}', r.kind, CAST({value} AS TEXT), "
                f"{sums} FROM {source} AS r WHERE {item.answered('r')} GROUP BY {keys}, {value}"
            )


def _pair_selects(
    state: str, sign: int, involving: str | None = None, scheme: Scheme = CURRENT
) -> Iterator[str]:
    """Per cell, the pairs of each paired item among the answers in `state`, times `sign`;
    with `involving` (a query of row ids), only the pairs one of those rows is part of."""
    for paired in scheme.paired:
        item = paired.item
        change = f"({item.value('later')} - {item.value('earlier')})"
        among = (
            f" AND (later.id IN ({involving}) OR earlier.id IN ({involving}))" if involving else ""
        )
        rises = f"{sign} * sum(CASE WHEN {change} > 0 THEN 1 ELSE 0 END)"
        yield (
            f"SELECT later.event_id, {_community('later.community')}, '{item.code}', "
            f"'{paired.wave}', '{ALL_VALUES}', {sign} * count(*), {sign} * sum({change}), "
            f"{sign} * sum({change} * {change}){_extra(scheme, positive=rises)} "
            f"FROM {state} AS later "
            f"JOIN {state} AS earlier ON earlier.event_id = later.event_id "
            f"AND earlier.pseudonym = later.pseudonym AND earlier.kind = '{paired.earlier}' "
            f"WHERE later.kind = '{paired.later}' AND {item.answered('later')} "
            f"AND {item.answered('earlier')}{among} GROUP BY later.event_id, later.community"
        )


def _row_pairs(row: str, sign: int, scheme: Scheme) -> Iterator[str]:
    """One answer row's pairs with its other wave's answer in the table, from either side."""
    for paired in scheme.paired:
        item = paired.item
        for own, other_wave, later, earlier in (
            (paired.later, paired.earlier, row, "other"),
            (paired.earlier, paired.later, "other", row),
        ):
            change = f"({item.value(later)} - {item.value(earlier)})"
            rises = f"{sign} * CASE WHEN {change} > 0 THEN 1 ELSE 0 END"
            yield (
                f"SELECT {row}.event_id, {_community(f'{later}.community')}, '{item.code}', "
                f"'{paired.wave}', '{ALL_VALUES}', {sign}, {sign} * {change}, "
                f"{sign} * {change} * {change}{_extra(scheme, positive=rises)} "
                f"FROM survey_response AS other "
                f"WHERE {row}.kind = '{own}' AND other.kind = '{other_wave}' "
                f"AND other.event_id = {row}.event_id AND other.pseudonym = {row}.pseudonym "
                f"AND {item.answered(row)} AND {item.answered('other')}"
            )


def _answer_row_share(row: str, sign: int, scheme: Scheme) -> list[str]:
    """SQLite's row triggers: one answer row's share, with the row's own values (OLD or NEW).
    SQLite runs a row trigger as each row is written, so a pair is counted by whichever of its
    two rows is written second."""
    columns = ", ".join(f"{row}.{column} AS {column}" for column in scheme.answer_columns)
    one_row = f"(SELECT {row}.id AS id, {columns})"
    return [
        *(_upsert(select, scheme) for select in _answer_selects(one_row, sign, scheme)),
        *(_upsert(select, scheme) for select in _row_pairs(row, sign, scheme)),
    ]


def _answer_statement_share(event: str, scheme: Scheme) -> list[str]:
    """PostgreSQL's statement triggers, over the statement's transition tables.

    PostgreSQL runs row triggers after the whole statement, so the two rows of a pair written
    by one statement (a multi-row INSERT) would each see the other and count it twice. Over
    the transition tables, the pairs before and after the statement are counted once each.
    """
    answer_list = ", ".join(("id", *scheme.answer_columns))
    if event == "INSERT":
        return [
            *(_upsert(select, scheme) for select in _answer_selects("new_rows", 1, scheme)),
            *(
                _upsert(select, scheme)
                for select in _pair_selects("survey_response", 1, "SELECT id FROM new_rows", scheme)
            ),
        ]
    if event == "DELETE":
        before = (
            f"(SELECT {answer_list} FROM survey_response "
            f"UNION ALL SELECT {answer_list} FROM old_rows)"
        )
        return [
            *(_upsert(select, scheme) for select in _answer_selects("old_rows", -1, scheme)),
            *(
                _upsert(select, scheme)
                for select in _pair_selects(before, -1, "SELECT id FROM old_rows", scheme)
            ),
        ]
    # An UPDATE: only the rows whose figures changed (a comment purge changes none).
    changed = (
        "SELECT new_rows.id FROM new_rows JOIN old_rows ON old_rows.id = new_rows.id WHERE "
        + " OR ".join(
            f"new_rows.{column} IS DISTINCT FROM old_rows.{column}"
            for column in scheme.answer_columns
        )
    )
    old = f"(SELECT {answer_list} FROM old_rows WHERE id IN ({changed}))"
    new = f"(SELECT {answer_list} FROM new_rows WHERE id IN ({changed}))"
    before = (
        f"(SELECT {answer_list} FROM survey_response WHERE id NOT IN ({changed}) "
        f"UNION ALL SELECT {answer_list} FROM {old} AS old_changed)"
    )
    return [
        *(_upsert(select, scheme) for select in _answer_selects(old, -1, scheme)),
        *(_upsert(select, scheme) for select in _pair_selects(before, -1, changed, scheme)),
        *(_upsert(select, scheme) for select in _answer_selects(new, 1, scheme)),
        *(
            _upsert(select, scheme)
            for select in _pair_selects("survey_response", 1, changed, scheme)
        ),
    ]


INVITATION_TABLE = "invitation_rollup"
#: One column of `invitation_rollup` per status, named by its value.
STATUSES: tuple[str, ...] = tuple(status.value for status in InvitationStatus)
_STATUS_COLUMNS = ", ".join(STATUSES)


def _invitation_upsert(select_sql: str) -> str:
    added = ", ".join(
        f"{status} = {INVITATION_TABLE}.{status} + excluded.{status}" for status in STATUSES
    )
    return (
        f"INSERT INTO {INVITATION_TABLE} (event_id, community, {_STATUS_COLUMNS}) {select_sql} "
        f"ON CONFLICT (event_id, community) DO UPDATE SET {added}"
    )


def _per_status(status_sql: str, amount: str) -> str:
    return ", ".join(
        f"CASE WHEN CAST({status_sql} AS TEXT) = '{status}' THEN {amount} ELSE 0 END"
        for status in STATUSES
    )


def _invitation_share(row: str, sign: int) -> str:
    return _invitation_upsert(
        f"SELECT {row}.event_id, {_community('p.community')}, "
        f"{_per_status(f'{row}.status', str(sign))} "
        f"FROM participant AS p WHERE p.id = {row}.participant_id"
    )


def _summed_per_status(status_sql: str, sign: int) -> str:
    return ", ".join(
        f"{sign} * sum(CASE WHEN CAST({status_sql} AS TEXT) = '{status}' THEN 1 ELSE 0 END)"
        for status in STATUSES
    )


def _invitation_rows_share(rows: str, sign: int) -> str:
    """Per cell, the invitations of a transition table (`new_rows`, `old_rows`)."""
    return _invitation_upsert(
        f"SELECT r.event_id, {_community('p.community')}, {_summed_per_status('r.status', sign)} "
        f"FROM {rows} AS r JOIN participant AS p ON p.id = r.participant_id GROUP BY 1, 2"
    )


def _invitation_changes_share() -> str:
    """Per cell, what an UPDATE statement moved: each changed row out of its old cell and
    status, into its new ones. Rows whose counted columns stayed add nothing."""
    changed = (
        "FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id "
        "WHERE (o.event_id, o.participant_id, o.status) "
        "IS DISTINCT FROM (n.event_id, n.participant_id, n.status)"
    )
    moved = (
        f"SELECT o.event_id, o.participant_id, o.status, -1 AS sign {changed} "
        f"UNION ALL SELECT n.event_id, n.participant_id, n.status, 1 AS sign {changed}"
    )
    counts = ", ".join(
        f"sum(CASE WHEN CAST(d.status AS TEXT) = '{status}' THEN d.sign ELSE 0 END)"
        for status in STATUSES
    )
    return _invitation_upsert(
        f"SELECT d.event_id, {_community('p.community')}, {counts} "
        f"FROM ({moved}) AS d JOIN participant AS p ON p.id = d.participant_id GROUP BY 1, 2"
    )


def _invitation_triggers(dialect: str, scheme: Scheme) -> tuple[Trigger, ...]:
    if dialect == "postgresql" and scheme.invitations_per_statement:
        return (
            Trigger(
                "invitation_insert",
                "invitation",
                "INSERT",
                (_invitation_rows_share("new_rows", 1),),
                per_statement=True,
            ),
            # A statement trigger cannot name columns (PostgreSQL refuses transition tables
            # with a column list): every UPDATE fires it, and it counts only the changes.
            Trigger(
                "invitation_update",
                "invitation",
                "UPDATE",
                (_invitation_changes_share(),),
                per_statement=True,
            ),
            Trigger(
                "invitation_delete",
                "invitation",
                "DELETE",
                (_invitation_rows_share("old_rows", -1),),
                per_statement=True,
            ),
        )
    return (
        Trigger("invitation_insert", "invitation", "INSERT", (_invitation_share("NEW", 1),)),
        Trigger(
            "invitation_update",
            "invitation",
            "UPDATE OF event_id, participant_id, status",
            (_invitation_share("OLD", -1), _invitation_share("NEW", 1)),
        ),
        Trigger("invitation_delete", "invitation", "DELETE", (_invitation_share("OLD", -1),)),
    )


def _community_move(row: str, sign: int) -> str:
    # GROUP BY: one participant has many invitations, and an upsert may touch a row once.
    return _invitation_upsert(
        f"SELECT i.event_id, {_community(f'{row}.community')}, "
        f"{_summed_per_status('i.status', sign)} "
        f"FROM invitation AS i WHERE i.participant_id = {row}.id GROUP BY i.event_id"
    )


# ------------------------------------------------------------------ the triggers


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    #: `INSERT`, `DELETE` or `UPDATE OF …`.
    event: str
    statements: tuple[str, ...]
    #: Once per statement over its transition tables (`new_rows`, `old_rows`), not per row.
    per_statement: bool = False


def _answer_triggers(dialect: str, scheme: Scheme) -> tuple[Trigger, ...]:
    if dialect == "postgresql":
        return tuple(
            Trigger(
                f"survey_{event.lower()}",
                "survey_response",
                event,
                tuple(_answer_statement_share(event, scheme)),
                per_statement=True,
            )
            for event in ("INSERT", "UPDATE", "DELETE")
        )
    return (
        Trigger(
            "survey_insert", "survey_response", "INSERT", tuple(_answer_row_share("NEW", 1, scheme))
        ),
        Trigger(
            "survey_update",
            "survey_response",
            f"UPDATE OF {', '.join(scheme.answer_columns)}",
            (*_answer_row_share("OLD", -1, scheme), *_answer_row_share("NEW", 1, scheme)),
        ),
        Trigger(
            "survey_delete",
            "survey_response",
            "DELETE",
            tuple(_answer_row_share("OLD", -1, scheme)),
        ),
    )


def triggers(dialect: str, scheme: Scheme = CURRENT) -> tuple[Trigger, ...]:
    """Every rollup trigger for `postgresql` or `sqlite`. A participant's community move
    needs no other row than its own, so a row trigger serves both; SQLite has no transition
    tables, so there every trigger is a row trigger."""
    return (
        *_answer_triggers(dialect, scheme),
        *_invitation_triggers(dialect, scheme),
        Trigger(
            "participant_community",
            "participant",
            "UPDATE OF community",
            (_community_move("OLD", -1), _community_move("NEW", 1)),
        ),
    )


def _trigger_name(trigger: Trigger) -> str:
    return f"{TABLE}_{trigger.name}"


_TRANSITION = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}


def create_statements(dialect: str, scheme: Scheme = CURRENT) -> list[str]:
    """DDL creating every trigger, for `postgresql` or `sqlite`."""
    statements: list[str] = []
    for trigger in triggers(dialect, scheme):
        name = _trigger_name(trigger)
        body = "; ".join(trigger.statements)
        if dialect == "postgresql":
            statements.append(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {body}; RETURN NULL; END $$"
            )
            each = (
                f"{_TRANSITION[trigger.event]} FOR EACH STATEMENT"
                if trigger.per_statement
                else "FOR EACH ROW"
            )
            statements.append(
                f"CREATE TRIGGER {name} AFTER {trigger.event} ON {trigger.table} "
                f"{each} EXECUTE FUNCTION {name}()"
            )
        else:
            statements.append(
                f"CREATE TRIGGER {name} AFTER {trigger.event} ON {trigger.table} "
                f"FOR EACH ROW BEGIN {body}; END"
            )
    return statements


def drop_statements(dialect: str) -> list[str]:
    statements: list[str] = []
    for trigger in triggers(dialect):
        name = _trigger_name(trigger)
        if dialect == "postgresql":
            statements.append(f"DROP TRIGGER IF EXISTS {name} ON {trigger.table}")
            statements.append(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            statements.append(f"DROP TRIGGER IF EXISTS {name}")
    return statements


# ------------------------------------------------------------------ from the raw rows


def rebuild(connection: Connection, scheme: Scheme = CURRENT) -> None:
    """Recompute every rollup row from the answers and invitations (the migration's backfill,
    and the benchmarks' after a bulk fill with the triggers off)."""
    connection.execute(text(f"DELETE FROM {TABLE}"))
    for select_sql in (
        *_answer_selects("survey_response", 1, scheme),
        *_pair_selects("survey_response", 1, scheme=scheme),
    ):
        connection.execute(text(f"INSERT INTO {TABLE} ({', '.join(scheme.columns)}) {select_sql}"))
    connection.execute(text(f"DELETE FROM {INVITATION_TABLE}"))
    connection.execute(
        text(
            f"INSERT INTO {INVITATION_TABLE} (event_id, community, {_STATUS_COLUMNS}) "
            f"SELECT i.event_id, {_community('p.community')}, "
            f"{_summed_per_status('i.status', 1)} FROM invitation AS i "
            f"JOIN participant AS p ON p.id = i.participant_id GROUP BY i.event_id, p.community"
        )
    )
