"""Run a command and record the resident memory of it and of every descendant, once a second.

    .venv/bin/python benchmarks/rss_sampler.py --csv /tmp/rss.csv --log /tmp/build.log -- \
        nice -n 5 /usr/bin/time -v -o /tmp/time.txt .venv/bin/python -m kg.cli build ...

`/usr/bin/time` and `ru_maxrss` give one number, the largest process's peak; this says which
process made it and when, so that the peak can be put against the build's stages. The CSV has
one row per process per sample (elapsed seconds, pid, parent, RSS and the kernel's own peak
VmHWM in MB, CPU seconds used so far, the command line's start: a stage slow in wall time but
not in CPU was waiting for a core); the log has the command's output, each line stamped
with the elapsed seconds at which it came.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import threading
import time
from pathlib import Path


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in brackets may hold spaces: the parent is the second field after it.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _descendants(root: int) -> list[int]:
    tree = _children()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, ()))
    return found


def _memory(pid: int) -> tuple[int, float, float, float, str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    if "VmRSS" not in fields:  # a zombie
        return None
    parent = int(fields["PPid"])
    utime, stime = stat.rsplit(")", 1)[1].split()[11:13]
    cpu = (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")
    return parent, int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024, cpu, cmd[:160]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv", type=Path, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--every", type=float, default=1.0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    t0 = time.time()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)

    def copy_output() -> None:
        assert proc.stdout is not None
        with args.log.open("w", encoding="utf-8") as log:
            for line in proc.stdout:
                log.write(f"{time.time() - t0:9.1f} {line}")
                log.flush()

    reader = threading.Thread(target=copy_output, daemon=True)
    reader.start()
    peak: dict[int, tuple[float, str]] = {}
    with args.csv.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["seconds", "pid", "ppid", "rss_mb", "hwm_mb", "cpu_s", "command"])
        while proc.poll() is None:
            now = round(time.time() - t0, 1)
            total = 0.0
            for pid in _descendants(proc.pid):
                row = _memory(pid)
                if row is None:
                    continue
                parent, rss, hwm, cpu, cmd = row
                total += rss
                out.writerow([now, pid, parent, round(rss), round(hwm), round(cpu, 1), cmd])
                if hwm > peak.get(pid, (0.0, ""))[0]:
                    peak[pid] = (hwm, cmd)
            out.writerow([now, 0, 0, round(total), "", "", "(all)"])
            f.flush()
            time.sleep(args.every)
    reader.join(timeout=5)
    for pid, (hwm, cmd) in sorted(peak.items(), key=lambda kv: -kv[1][0])[:8]:
        print(f"{pid:>8} peak {hwm:8.0f} MB  {cmd}", file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
