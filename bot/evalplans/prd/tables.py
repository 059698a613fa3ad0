"""The PRD's tables read by their header: success-metric rows (target, baseline) and rollout phases."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.evalplans.prd.numbers import percentages


@dataclass(frozen=True)
class TargetRow:
    """One row of the PRD's success-metrics table."""

    name: str
    baseline: str
    target: str


@dataclass(frozen=True)
class Phase:
    """One rollout phase: its name, dates, audience and the criteria to pass to the next."""

    name: str
    dates: str
    audience: str
    criteria: str

    @property
    def percentages(self) -> list[str]:
        return percentages(self.audience)


def column(header: list[str], pattern: str, default: int) -> int:
    for index, cell in enumerate(header):
        if re.search(pattern, cell, re.I):
            return index
    return default


def cell(row: list[str], index: int) -> str:
    return row[index] if 0 <= index < len(row) else ""


def success_rows(all_tables: list[list[list[str]]]) -> list[TargetRow]:
    rows: list[TargetRow] = []
    for table in all_tables:
        header = table[0]
        target = column(header, r"target|ziel|doel|goal", -1)
        if target < 0:
            continue
        baseline = column(header, r"baseline|ausgang|uitgang|current|today|heute|huidig", -1)
        for row in table[1:]:
            if row and row[0]:
                rows.append(TargetRow(row[0], cell(row, baseline), cell(row, target)))
    return rows


def rollout(all_tables: list[list[list[str]]]) -> list[Phase]:
    for table in all_tables:
        header = table[0]
        name = column(header, r"phase|fase|stage|stufe|stap", -1)
        if name < 0:
            continue
        dates = column(header, r"date|zeitraum|periode|period|when|wann|wanneer|timing", 1)
        audience = column(header, r"audience|zielgruppe|doelgroep|who|wer\b|wie\b|users", 2)
        criteria = column(header, r"criteria|kriterien|exit|gate", 3)
        return [
            Phase(cell(row, name), cell(row, dates), cell(row, audience), cell(row, criteria))
            for row in table[1:]
            if cell(row, name)
        ]
    return []
