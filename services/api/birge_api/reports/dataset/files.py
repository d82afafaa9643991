"""Writing the dataset's data files: the long and wide CSVs as rows arrive, SPSS and Stata after.

The CSVs are written row by row to files on disk, so they never sit in memory. SPSS and Stata
files are written by pyreadstat from a whole data frame; the frame is built at the end from
compact integer columns (one small integer per answer) and the events' own values, which
pandas repeats by reference, so a million answers take a few tens of megabytes.
"""

from __future__ import annotations

import csv
from array import array
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyreadstat

from birge_api.reports.dataset.codebook import Variable
from birge_api.reports.dataset.registry import (
    COMMUNITY_CODES,
    EVENT_VARIABLES,
    WAVE_CODES,
    WIDE_ITEM_COLUMNS,
    EventFacts,
    EventValue,
    Missing,
    items_of,
)
from birge_api.reports.dataset.respondents import Respondent, absent

#: What a spreadsheet would start a formula with (OWASP's list for CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

EVENT_NAMES = tuple(variable.name for variable in EVENT_VARIABLES)
LONG_HEADER = ("respondent", *EVENT_NAMES, "community", "wave", "item", "value")
WIDE_HEADER = (
    "respondent",
    *EVENT_NAMES,
    "community",
    *(item.variable(wave) for item, wave in WIDE_ITEM_COLUMNS),
)


def csv_text(value: EventValue) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return str(value)


def open_csv(path: Path) -> IO[str]:
    # UTF-8 with a byte-order mark: Excel then reads Kyrgyz and Russian text correctly.
    return path.open("w", encoding="utf-8-sig", newline="")


class DataWriter:
    """Takes each event's respondents and writes both CSVs; keeps the wide file's columns."""

    def __init__(self, *, folder: Path, events: Sequence[EventFacts]) -> None:
        self.events = events
        self._event_text = [
            [csv_text(variable.read(facts)) for variable in EVENT_VARIABLES] for facts in events
        ]
        self._long_file = open_csv(folder / "answers_long.csv")
        self._wide_file = open_csv(folder / "answers_wide.csv")
        self._long = csv.writer(self._long_file)
        self._wide = csv.writer(self._wide_file)
        self._long.writerow(LONG_HEADER)
        self._wide.writerow(WIDE_HEADER)
        # One array per wide column: machine integers, not Python objects.
        self.respondent = array("l")
        self.event = array("l")
        self.community = array("b")
        self.items: dict[str, array[int]] = {
            item.variable(wave): array("b") for item, wave in WIDE_ITEM_COLUMNS
        }
        self.long_rows = 0
        self.events_with_rows: set[int] = set()

    def add(self, people: Sequence[Respondent], numbers: Mapping[str, int]) -> None:
        for person in sorted(people, key=lambda person: numbers[person.pseudonym]):
            number = numbers[person.pseudonym]
            community = COMMUNITY_CODES[person.community]
            head = [str(number), *self._event_text[person.event], str(community)]
            for wave, answers in person.answers.items():
                for item in items_of(wave):
                    self._long.writerow([*head, wave, item.code, answers[item.code]])
                    self.long_rows += 1
            waves = {wave: person.answers.get(wave) or absent(wave) for wave in WAVE_CODES}
            self._wide.writerow(
                [*head, *(waves[wave][item.code] for item, wave in WIDE_ITEM_COLUMNS)]
            )
            self.respondent.append(number)
            self.event.append(person.event)
            self.community.append(community)
            for item, wave in WIDE_ITEM_COLUMNS:
                self.items[item.variable(wave)].append(waves[wave][item.code])
            self.events_with_rows.add(person.event)

    def close(self) -> None:
        self._long_file.close()
        self._wide_file.close()

    def frame(self) -> pd.DataFrame:
        """The wide file as a data frame, for pyreadstat."""
        which = np.asarray(self.event, dtype=np.int64)
        columns: dict[str, Any] = {"respondent": np.asarray(self.respondent, dtype=np.int32)}
        for variable in EVENT_VARIABLES:
            values = [variable.read(facts) for facts in self.events]
            if variable.value_labels:
                columns[variable.name] = np.asarray(values, dtype=np.int32)[which]
            else:
                # Strings and dates stay Python objects, shared between an event's rows.
                columns[variable.name] = np.asarray(values, dtype=object)[which]
        columns["community"] = np.asarray(self.community, dtype=np.int32)
        for name, codes in self.items.items():
            columns[name] = np.asarray(codes, dtype=np.int32)
        return pd.DataFrame(columns)


def _labels(found: Sequence[Variable], frame: pd.DataFrame) -> dict[str, dict[int | float, str]]:
    labels: dict[str, dict[int | float, str]] = {}
    for variable in found:
        if variable.name in frame.columns and (variable.value_labels or variable.missing):
            merged: dict[int | float, str] = {}
            for values in (variable.value_labels, variable.missing):
                for code, text in values.items():
                    merged[code] = text
            labels[variable.name] = merged
    return labels


def write_spss_and_stata(
    *, frame: pd.DataFrame, found: Sequence[Variable], sav: Path, dta: Path, file_label: str
) -> None:
    wide = [variable for variable in found if variable.name in frame.columns]
    labels: dict[str, str | None] = {variable.name: variable.label for variable in wide}
    value_labels = _labels(wide, frame)
    item_columns = {item.variable(wave) for item, wave in WIDE_ITEM_COLUMNS}
    pyreadstat.write_sav(
        frame,
        sav,
        file_label=file_label,
        column_labels=labels,
        variable_value_labels=value_labels,
        # SPSS leaves user-missing codes out of every statistic.
        missing_ranges={
            name: [Missing.WAVE_NOT_ANSWERED.value, Missing.NOT_ANSWERED.value]
            for name in item_columns
        },
        variable_measure={variable.name: variable.measure.value for variable in wide},
    )
    pyreadstat.write_dta(
        frame,
        dta,
        file_label=file_label,
        column_labels=labels,
        variable_value_labels=value_labels,
    )
