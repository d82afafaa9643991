"""The codebook: every variable of the dataset's files, its labels, codes and wording.

Built from the registry alone, so it describes exactly what the writers write; rendered as a
CSV (one row per variable) and as an HTML page with the suppression and re-keying rules.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from birge_api.reports.dataset.registry import (
    COMMUNITY_LABEL,
    COMMUNITY_LABELS,
    EDITED_SOURCE,
    EVENT_VARIABLES,
    ITEMS,
    MISSING_LABELS,
    RESPONDENT_LABEL,
    WAVES,
    WIDE_ITEM_COLUMNS,
    Item,
    Measure,
    Missing,
    Wording,
)
from birge_shared.models import Language
from birge_shared.statistics import MIN_RESPONDENTS

LONG, WIDE = "long", "wide"
Overrides = Mapping[tuple[str, Language], str]


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    type: str  # integer, string or date
    measure: Measure
    files: tuple[str, ...]
    value_labels: Mapping[int, str] = field(default_factory=dict)
    missing: Mapping[int, str] = field(default_factory=dict)
    item: str = ""
    wave: str = ""
    wording: Mapping[Language, Wording] = field(default_factory=dict)


def wording(item: Item, overrides: Overrides) -> dict[Language, Wording]:
    """The item's wording as asked: an administrator's edit of its question replaces it."""
    asked = dict(item.wording)
    for language in Language:
        if item.template is not None and (item.template, language) in overrides:
            asked[language] = Wording(overrides[(item.template, language)], EDITED_SOURCE)
    return asked


def variables(overrides: Overrides) -> list[Variable]:
    both = (LONG, WIDE)
    found = [Variable("respondent", RESPONDENT_LABEL, "integer", Measure.NOMINAL, both)]
    for event_variable in EVENT_VARIABLES:
        kind = "date" if event_variable.name == "event_date" else "string"
        if event_variable.value_labels:
            kind = "integer"
        found.append(
            Variable(
                event_variable.name,
                event_variable.label,
                kind,
                event_variable.measure,
                both,
                value_labels=event_variable.value_labels,
            )
        )
    found.append(
        Variable(
            "community",
            COMMUNITY_LABEL,
            "integer",
            Measure.NOMINAL,
            both,
            value_labels=COMMUNITY_LABELS,
        )
    )
    found += [
        Variable(
            "wave",
            "Survey wave: " + "; ".join(f"{wave.code} = {wave.label}" for wave in WAVES),
            "string",
            Measure.NOMINAL,
            (LONG,),
        ),
        Variable(
            "item",
            "Survey item: " + "; ".join(f"{item.code} = {item.label}" for item in ITEMS),
            "string",
            Measure.NOMINAL,
            (LONG,),
        ),
        Variable(
            "value",
            "The answer, coded as the item's wide variables are (see them for the labels)",
            "integer",
            Measure.ORDINAL,
            (LONG,),
            missing={int(Missing.NOT_ANSWERED): MISSING_LABELS[Missing.NOT_ANSWERED]},
        ),
    ]
    for item, wave in WIDE_ITEM_COLUMNS:
        found.append(
            Variable(
                item.variable(wave),
                # Stata takes variable labels of up to 80 characters.
                f"{item.label} ({wave})",
                "integer",
                item.measure,
                (WIDE,),
                value_labels=item.value_labels,
                missing=MISSING_LABELS,
                item=item.code,
                wave=wave,
                wording=wording(item, overrides),
            )
        )
    return found


def _pairs(values: Mapping[int, str]) -> str:
    return " | ".join(f"{code} = {label}" for code, label in values.items())


CSV_HEADER = (
    "variable",
    "label",
    "type",
    "measure",
    "files",
    "value_labels",
    "missing_codes",
    "item",
    "wave",
    *(f"wording_{language.value}" for language in Language),
    *(f"source_{language.value}" for language in Language),
)


def codebook_rows(found: list[Variable]) -> list[list[str]]:
    return [
        [
            variable.name,
            variable.label,
            variable.type,
            variable.measure.value,
            " ".join(variable.files),
            _pairs(variable.value_labels),
            _pairs(variable.missing),
            variable.item,
            variable.wave,
            *(
                variable.wording[language].text if language in variable.wording else ""
                for language in Language
            ),
            *(
                variable.wording[language].source if language in variable.wording else ""
                for language in Language
            ),
        ]
        for variable in found
    ]


def codebook_csv(found: list[Variable]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    writer.writerows(codebook_rows(found))
    return buffer.getvalue()


@dataclass(frozen=True)
class About:
    """What the HTML page says about this export besides its variables."""

    made_on: date
    filters: Mapping[str, str | None]
    events: int
    respondents: int
    long_rows: int
    files: Mapping[str, str]


_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent),
    autoescape=select_autoescape(("html",)),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def codebook_html(found: list[Variable], about: About) -> str:
    return _env.get_template("codebook.html").render(
        variables=found,
        about=about,
        items=ITEMS,
        waves=WAVES,
        languages=list(Language),
        minimum=MIN_RESPONDENTS,
        missing=MISSING_LABELS,
        pairs=_pairs,
    )
