"""What a benchmark ran on, and how much memory its processes peaked at (Linux /proc)."""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class Machine:
    cpu_model: str
    cores: int
    ram_bytes: int | None
    python: str
    system: str

    def describe(self) -> str:
        ram = f"{self.ram_bytes / 2**30:.1f} GiB RAM" if self.ram_bytes else "RAM unknown"
        return f"{self.cpu_model}, {self.cores} cores, {ram}, Python {self.python}, {self.system}"


def this_machine() -> Machine:
    return Machine(
        cpu_model=_cpu_model(),
        # The cores this process may run on, which is what the measured processes share.
        cores=len(os.sched_getaffinity(0)),
        ram_bytes=_meminfo_bytes("MemTotal"),
        python=platform.python_version(),
        system=f"{platform.system()} {platform.release()}",
    )


def _cpu_model() -> str:
    try:
        lines = (PROC / "cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown CPU"
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() == "model name" and value.strip():
            return value.strip()
    return platform.processor() or "unknown CPU"


def _meminfo_bytes(field: str) -> int | None:
    try:
        lines = (PROC / "meminfo").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition(":")
        if key == field:
            return int(value.split()[0]) * 1024  # /proc/meminfo counts in kB
    return None


@dataclass(frozen=True, slots=True)
class PeakMemory:
    """VmHWM (the resident set's high-water mark) of a process and its descendants."""

    by_pid: dict[int, int]

    @property
    def total_bytes(self) -> int:
        return sum(self.by_pid.values())

    @property
    def max_bytes(self) -> int:
        return max(self.by_pid.values(), default=0)


def peak_memory(root_pid: int) -> PeakMemory:
    """Read while the processes still run: a pool child's high-water mark leaves with it."""
    found: dict[int, int] = {}
    for pid in [root_pid, *_descendants(root_pid)]:
        peak = _vm_hwm_bytes(pid)
        if peak is not None:
            found[pid] = peak
    return PeakMemory(by_pid=found)


def _descendants(root_pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        parent = _parent_pid(entry)
        if parent is not None:
            children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    pending = [root_pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _parent_pid(process: Path) -> int | None:
    try:
        stat = (process / "stat").read_text()
    except OSError:
        return None  # the process ended meanwhile
    # The command name in parentheses may itself hold spaces and ')': split after the last.
    fields = stat.rpartition(")")[2].split()
    return int(fields[1]) if len(fields) > 1 else None


def _vm_hwm_bytes(pid: int) -> int | None:
    try:
        lines = (PROC / str(pid) / "status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None


def cpu_seconds(root_pid: int) -> float:
    """CPU time (user + system) used so far by a process and its live descendants."""
    return sum(process_cpu_seconds([root_pid, *_descendants(root_pid)]).values())


def process_cpu_seconds(pids: Iterable[int]) -> dict[int, float]:
    """CPU time (user + system) used so far by each of these processes that still runs."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    for pid in pids:
        try:
            stat = (PROC / str(pid) / "stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        # utime and stime are fields 14 and 15 of proc_pid_stat(5); `fields` starts at 3.
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def process_name(pid: int) -> str | None:
    try:
        return (PROC / str(pid) / "comm").read_text().strip()
    except OSError:
        return None


def machine_busy_seconds() -> float:
    """CPU time all processes of the machine (anyone's) have used, summed over the cores."""
    try:
        first = (PROC / "stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return 0.0
    # user nice system idle iowait irq softirq steal: busy is user, nice, system, irq and
    # softirq; waiting for I/O or for the hypervisor (steal) is not.
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in first[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
