"""`birge bench groups` prints its room, both timings, the ratio and the verdict."""

from __future__ import annotations

from birge_cli.bench import groups
from birge_cli.main import build_parser


def test_the_groups_bench_prints_the_room_the_baseline_the_ratio_and_the_goal() -> None:
    lines: list[str] = []
    assert groups.run(people=40, groups=5, weeks=4, runs=1, say=lines.append) == 0
    assert lines[0].startswith("machine: ")
    assert "40 people, 5 groups" in lines[1]
    assert "4 weekly events" in lines[1]
    assert "baseline" in lines[2]
    assert "x the baseline), 5 groups" in lines[3]
    assert lines[4].startswith("goal: every run under 2 s: ")


def test_the_command_is_registered_with_the_issue_figures_as_defaults() -> None:
    args = build_parser().parse_args(["bench", "groups"])
    assert (args.people, args.groups, args.weeks) == (200, 25, 52)
