"""What the robustness tests share: a small good corpus, the bad inputs (all written here,
nothing downloaded), the CLI in a subprocess, a loopback listener and a loopback server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The fast encoder the other tests use for CLI builds (tests/test_cli_search.py): word vectors only.
FAST_MODEL = "builtin:fr-word-vectors"

GOOD = {
    "arras-test.txt": "Contrat de ville de la Communauté Urbaine d'Arras.\n\n"
                      "La CAF du Pas-de-Calais s'engage à soutenir la parentalité dans les quartiers.\n",
    "maubeuge-test.txt": "Contrat de ville de la Communauté d'Agglomération Maubeuge-Val de Sambre.\n\n"
                         "La Région Hauts-de-France s'engage à développer la mobilité des habitants.\n",
}


def write_good_corpus(folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in GOOD.items():
        (folder / name).write_text(text, encoding="utf-8")
    return sorted(Path(n).stem for n in GOOD)


def million_character_page(path: Path) -> Path:
    """One PDF page holding about a million characters (1,000 lines of 1,000 at 0.5 pt)."""
    import pymupdf

    doc = pymupdf.open()
    line = ("quartier emploi " * 63)[:1000]
    doc.new_page().insert_text((10, 10), "\n".join([line] * 1000), fontsize=0.5)
    doc.save(path)
    doc.close()
    return path


def huge_scanned_page(path: Path) -> Path:
    """A 5000 x 5000 pt page holding only an image: MuPDF refuses it as an overly large image."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=5000, height=5000)
    pix = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 2000, 2000), False)
    pix.clear_with(200)
    page.insert_image(page.rect, pixmap=pix)
    doc.save(path)
    doc.close()
    return path


def write_bad_inputs(folder: Path) -> dict[str, str]:
    """The bad inputs of issue 12: file name -> a word its error line must hold. Two more files
    are written that must be built: UTF-16 text (UTF16_NAME) and a 240-byte name (LONG_NAME)."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: dict[str, str] = {}
    million_character_page(folder / "million-chars.pdf")
    cases["million-chars.pdf"] = "CONTRATS_MAX_PAGE_CHARS"
    (folder / "one-line.txt").write_bytes(b"quartier " * (10 * 1024 * 1024 // 9))  # 10 MB, one line
    cases["one-line.txt"] = "CONTRATS_MAX_PAGE_CHARS"
    # A good document with a 240-byte name (LONG_NAME): the cache folder once appended to it.
    (folder / LONG_NAME).write_text("Contrat de ville de Douai.\n\nL'État s'engage à agir pour l'emploi.\n",
                                    encoding="utf-8")
    huge_scanned_page(folder / "huge-scan.pdf")
    cases["huge-scan.pdf"] = "no readable text"  # with Tesseract: "overly large image"
    unreadable = folder / "unreadable.txt"
    unreadable.write_text("Contrat de ville secret.\n\nLa CAF s'engage.\n", encoding="utf-8")
    unreadable.chmod(0)
    cases["unreadable.txt"] = "permission denied"
    os.mkfifo(folder / "pipe.pdf")
    cases["pipe.pdf"] = "FIFO"
    (folder / "loop.txt").symlink_to("loop.txt")
    cases["loop.txt"] = "loop"
    (folder / UTF16_NAME).write_bytes(UTF16_TEXT.encode("utf-16"))
    return cases


LONG_NAME = "n" * 236 + ".txt"
UTF16_NAME = "lens-utf16.txt"
UTF16_TEXT = ("Contrat de ville de la Communauté d'Agglomération de Lens-Liévin.\n\n"
              "La CAF du Pas-de-Calais s'engage à aider les familles des quartiers.\n")


def cli(*args: str, env: dict | None = None, timeout: float = 600, prefix: tuple[str, ...] = (),
        **kwargs) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "CONTRATS_MODEL": FAST_MODEL, **(env or {})}
    return subprocess.run([*prefix, sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env=full_env, timeout=timeout, **kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it receives and answers each with
    an empty SPARQL JSON result. Loopback only; stops with `close()`."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        body = b'{"head":{"vars":[]},"results":{"bindings":[]}}'
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(1)
                try:
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                                 b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


class Server:
    """uvicorn serving `app` on 127.0.0.1 in a thread."""

    def __init__(self, app) -> None:
        import uvicorn

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(300):  # bounded: 30 s
            try:
                urllib.request.urlopen(self.base + "/", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def get(url: str, headers: dict | None = None, timeout: float = 60) -> tuple[int, str, dict]:
    """(status, body, headers) of a GET, HTTP errors included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace"), dict(e.headers)
