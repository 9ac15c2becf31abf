"""Starting Debian's Virtuoso on loopback for the SPARQL-server store test.

A private copy of the packaged virtuoso.ini points every database file into a temporary folder
and moves the ports to free ones; the SPARQL user is granted updates so the build can write
over plain HTTP.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

PACKAGED_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


def available() -> bool:
    return shutil.which("virtuoso-t") is not None and PACKAGED_INI.exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _private_ini(folder: Path, isql_port: int, http_port: int,
                 settings: dict[tuple[str, str], str] | None = None) -> Path:
    """`settings`: (section, key) -> value, replacing the packaged ones (say `("SPARQL",
    "ResultSetMaxRows")`, 10,000 as packaged, or `("Parameters", "NumberOfBuffers")`)."""
    settings = settings or {}
    text = PACKAGED_INI.read_text(encoding="utf-8", errors="replace")
    db = folder / "db"
    db.mkdir()
    section = None
    out = []
    applied: set[tuple[str, str]] = set()
    headers: dict[str, int] = {}  # section -> index of the line after its header
    for line in text.splitlines():
        m = re.match(r"^\[(.+)\]", line)
        if m:
            section = m.group(1)
        key = line.split("=", 1)[0].strip()
        temp = "-temp" if section == "TempDatabase" else ""
        files = {"DatabaseFile": f"virtuoso{temp}.db", "ErrorLogFile": f"virtuoso{temp}.log",
                 "LockFile": f"virtuoso{temp}.lck", "TransactionFile": f"virtuoso{temp}.trx",
                 "xa_persistent_file": f"virtuoso{temp}.pxa"}
        if section in ("Database", "TempDatabase") and key in files:
            line = f"{key} = {db / files[key]}"
        elif section == "Parameters" and key == "ServerPort":
            line = f"ServerPort = {isql_port}"
        elif section == "HTTPServer" and key == "ServerPort":
            line = f"ServerPort = {http_port}"
        elif section == "Parameters" and key == "DirsAllowed":
            line = f"DirsAllowed = ., /usr/share/virtuoso-opensource-7/vad, {folder}"
        elif (section, key) in settings:
            line = f"{key} = {settings[(section, key)]}"
            applied.add((section, key))
        out.append(line)
        if m and any(s == section for s, _ in settings):  # a setting the packaged ini comments out or lacks
            headers[section] = len(out)
    for (section, key), value in sorted(settings.items(), reverse=True):
        if (section, key) not in applied and section in headers:
            out.insert(headers[section], f"{key} = {value}")
    ini = folder / "virtuoso.ini"
    ini.write_text("\n".join(out) + "\n", encoding="utf-8")
    return ini


@contextmanager
def running_virtuoso(folder: Path, settings: dict[tuple[str, str], str] | None = None):
    """Yields the SPARQL endpoint URL (queries and updates) of a fresh Virtuoso; `settings` as
    for `_private_ini` (packaged values otherwise)."""
    isql_port, http_port = _free_port(), _free_port()
    ini = _private_ini(folder, isql_port, http_port, settings)
    proc = subprocess.Popen(["virtuoso-t", "-f", "-c", str(ini)], cwd=folder,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{http_port}/sparql"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("virtuoso-t exited at start") from None
                time.sleep(0.5)
        else:
            raise RuntimeError("Virtuoso did not answer within 120 s")
        isql = shutil.which("isql-vt") or shutil.which("isql")
        subprocess.run([isql, str(isql_port), "dba", "dba", 'exec=grant SPARQL_UPDATE to "SPARQL";'],
                       check=True, capture_output=True, timeout=60)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
