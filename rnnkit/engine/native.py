"""The C++ time loop (``native/loop.cpp`` over ``native/loop.h``), compiled once per machine and
cached, and the build of every C++ extension of rnnkit (``Extension``).

``torch.utils.cpp_extension.load`` compiles an extension with ninja into torch's extension cache
(``$TORCH_EXTENSIONS_DIR``, default ``~/.cache/torch_extensions``) under a name that digests the
source, its headers, the flags and the torch and Python versions; it never installs anything, so
pip cannot fetch a second torch.  A marker file, written last, marks a completed build; later processes
import that library directly, without ninja, whatever the checkout or the ninja binary.  An OS
lock next to the build directory lets one process compile at a time (waiting at most
``$RNNKIT_BUILD_WAIT`` seconds, default 600); the kernel releases it when its holder dies, and
the next holder clears what a killed build left behind.  ``rnnkit build`` compiles ahead of time.

If the build fails, or ``RNNKIT_NATIVE=0`` is set, the engine runs its Python loop
(``rnnkit.engine.loop``), which is also the reference the tests hold the C++ loop to.  CPU
tensors only; other devices use the Python loop.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.machinery
import importlib.util
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import torch

from rnnkit.files import write_atomic

SOURCE = Path(__file__).with_name("native") / "loop.cpp"
CELL_IDS = {"rnn_tanh": 0, "rnn_relu": 1, "lstm": 2, "lstm_ln": 3, "gru": 4, "gru_before": 5}   # as loop.cpp numbers them
MARKER = "rnnkit-complete"   # written into the build directory, atomically, once the library is built

_disabled = os.environ.get("RNNKIT_NATIVE", "1") == "0"


class BuildError(RuntimeError):
    """The C++ time loop could not be built; the message is one line."""


def _flags() -> list[str]:
    """Vector code for the CPU torch itself uses (AVX2 also on AVX-512 machines: the rows
    are short, and it avoids AVX-512 frequency drops); plain C++ elsewhere."""
    flags = ["-O3", "-std=c++20", "-fopenmp"]   # -fopenmp: at::parallel_for is an inline omp pragma
    if torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512"):
        flags += ["-mavx2", "-mfma", "-mf16c", "-DCPU_CAPABILITY=AVX2", "-DCPU_CAPABILITY_AVX2"]
    else:
        flags += ["-DCPU_CAPABILITY=DEFAULT", "-DCPU_CAPABILITY_DEFAULT"]
    return flags


def _build_dir(name: str) -> Path:
    from torch.utils import cpp_extension

    return Path(cpp_extension._get_build_directory(name, verbose=False))


def _complete(build_dir: Path) -> bool:
    return (build_dir / MARKER).exists()


@contextlib.contextmanager
def _build_lock(path: Path, wait: float, what: str = "the C++ time loop"):
    """Hold an exclusive ``flock`` on ``path`` (the kernel drops it if this process dies), waiting
    at most ``wait`` seconds for another holder: past that, ``TimeoutError``.  The file holds the
    holder's pid; it is never deleted, so every process locks the same file."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, wait, what)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


def _acquire(fd: int, wait: float, what: str) -> None:
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode().strip() or "unknown"
        if not told:
            print(f"rnnkit: waiting for another process to finish compiling {what} (pid {holder}) ...",
                  file=sys.stderr, flush=True)
            told = True
        if time.monotonic() >= deadline:
            raise TimeoutError(f"another process (pid {holder}) was still compiling it after {wait:g} s "
                               "(RNNKIT_BUILD_WAIT)")
        time.sleep(0.2)


def _clear(build_dir: Path) -> None:
    """Remove what an interrupted build left (torch's ``lock`` file, partial objects and library).
    The directory is renamed first: a compiler that outlived its killed parent keeps writing into
    the renamed copy, not into the new build."""
    if build_dir.exists() and any(build_dir.iterdir()):
        aside = Path(tempfile.mkdtemp(prefix=f"{build_dir.name}.stale-", dir=build_dir.parent))
        build_dir.rename(aside / build_dir.name)
        shutil.rmtree(aside, ignore_errors=True)
    build_dir.mkdir(parents=True, exist_ok=True)


def _import(name: str, build_dir: Path):
    """Load a completed build the way ``cpp_extension`` does, without ninja."""
    spec = importlib.util.spec_from_file_location(name, build_dir / f"{name}.so")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _reason(e: Exception) -> str:
    message = str(e).strip()
    return f"{type(e).__name__}: {message.splitlines()[-1]}" if message else type(e).__name__


class Extension:
    """One C++ extension of rnnkit: ``source`` (which may include the headers of ``include``),
    compiled once per machine into torch's cache under a name digesting the source, those
    headers, the flags and the torch and Python versions, then imported without ninja."""

    def __init__(self, prefix: str, source: Path, what: str, fallback: str, include: tuple[Path, ...] = ()):
        """``what``: its name in messages; ``fallback``: what runs where it cannot be built."""
        self.prefix, self.source, self.what, self.fallback, self.include = prefix, source, what, fallback, include
        self.module = None
        self.failed = False
        self._lock = threading.Lock()

    def name(self) -> str:
        headers = sorted(h for folder in (self.source.parent, *self.include) for h in folder.glob("*.h"))
        parts = [self.source.read_text(), *(h.read_text() for h in headers), *_flags(), torch.__version__,
                 importlib.machinery.EXTENSION_SUFFIXES[0]]
        return f"{self.prefix}_" + hashlib.sha1("\n".join(parts).encode()).hexdigest()[:10]

    def built(self) -> Path | None:
        """The library of a completed build in the cache, else None."""
        name = self.name()
        build_dir = _build_dir(name)
        return build_dir / f"{name}.so" if _complete(build_dir) else None

    def build(self) -> Path | None:
        """Compile now unless a completed build is cached, and load it: the library's path, or
        None where it is disabled.  Raises ``BuildError`` where it cannot be built."""
        if _disabled:
            return None
        with self._lock:
            if self.module is None:
                try:
                    self.module = self._build()
                except Exception as e:
                    self.failed = True
                    raise BuildError(_reason(e)) from e
        return Path(self.module.__file__)

    def get(self):
        """The compiled module, or None where it is disabled or could not be built."""
        if _disabled or self.failed:
            return None
        if self.module is None:
            try:
                self.build()
            except BuildError as e:  # no compiler, no headers, a build that never ends: the Python code
                warnings.warn(f"rnnkit: {self.what} could not be built ({e}); using {self.fallback}", stacklevel=3)
        return self.module

    def _build(self):
        name = self.name()
        build_dir = _build_dir(name)
        if not _complete(build_dir):
            wait = float(os.environ.get("RNNKIT_BUILD_WAIT", "600"))
            with _build_lock(build_dir.with_name(f"{name}.lock"), wait, self.what):
                if not _complete(build_dir):
                    return self._compile(name, build_dir)
        return _import(name, build_dir)

    def _compile(self, name: str, build_dir: Path):
        """Compile into a clean ``build_dir`` (the caller holds the build lock), then mark it complete."""
        from torch.utils import cpp_extension

        _clear(build_dir)
        if shutil.which("ninja") is None:   # installed with rnnkit into the environment's bin/
            os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
        print(f"rnnkit: compiling {self.what} into {build_dir} (once per machine, about a minute) ...",
              file=sys.stderr, flush=True)
        start = time.monotonic()
        module = cpp_extension.load(name=name, sources=[str(self.source)], extra_cflags=_flags(),
                                    extra_include_paths=[str(p) for p in self.include], extra_ldflags=["-fopenmp"],
                                    build_directory=str(build_dir), verbose=False)
        write_atomic(build_dir / MARKER, f"{name}.so\n")
        print(f"rnnkit: {self.what.removeprefix('the ')} compiled in {time.monotonic() - start:.0f} s", file=sys.stderr,
              flush=True)
        return module


LOOP = Extension("rnnkit_loop", SOURCE, "the C++ time loop", "the slower Python loop")


def get():
    """The time loop's compiled module, or None where it is disabled or could not be built."""
    return LOOP.get()


def usable(xg: torch.Tensor, cell=None) -> bool:
    """Whether this call (of ``cell``, where it runs a cell) can run on the C++ loop."""
    if cell is not None and not (cell.native and cell.name in CELL_IDS):
        return False
    return xg.device.type == "cpu" and xg.dtype in (torch.float32, torch.float64) and get() is not None


@contextlib.contextmanager
def disabled():
    """Run the Python loop inside this block (the reference, for tests and comparisons)."""
    global _disabled
    before, _disabled = _disabled, True
    try:
        yield
    finally:
        _disabled = before


def forward(cell, xg, w_hh, b_hh, states0, mask, drop, reverse, extras):
    """``(out, final_states, saved)``; ``saved`` goes back to ``backward`` untouched."""
    return get().forward(CELL_IDS[cell.name], xg, w_hh, b_hh, list(states0), mask, drop, reverse, list(extras))


def backward(cell, xg, w_hh, b_hh, states0, mask, drop, reverse, extras, saved, dout, dfinal):
    """``(dxg, dw_hh, db_hh, dstates0, dextras)``."""
    return get().backward(CELL_IDS[cell.name], xg, w_hh, b_hh, list(states0), mask, drop, reverse,
                          list(extras), list(saved), dout.contiguous(), [d.contiguous() for d in dfinal])


SCORE_IDS = {"dot": 0, "general": 1, "additive": 2}   # as native/attention.h numbers them


def attention_forward(cell, score, P, w_feed, w_hh, b_hh, drop, memory, keys, mask, w_c, w_q, v, feed0, states0,
                      extras):
    """The attention decoder's steps: ``[feeds, alpha, combined, ...]``, the whole list going back
    to ``attention_backward`` untouched."""
    return get().attention_forward(CELL_IDS[cell.name], SCORE_IDS[score], P, w_feed, w_hh, b_hh, drop, memory, keys,
                                   mask, w_c, w_q, v, feed0, list(states0), list(extras))


def attention_backward(cell, score, w_feed, w_hh, b_hh, drop, memory, keys, mask, w_c, w_q, v, states0, extras,
                       saved, dfeeds, dalpha):
    """``(dP, dw_feed, dw_hh, db_hh, dmemory, dkeys, dw_c, dw_q, dv, dfeed0, dstates0, dextras)``."""
    dP, dw_feed, dw_hh, db_hh, dmemory, dkeys, dw_c, dw_q, dv, dfeed0, dh0, dc0, *dextras = get().attention_backward(
        CELL_IDS[cell.name], SCORE_IDS[score], w_feed, w_hh, b_hh, drop, memory, keys, mask, w_c, w_q, v,
        list(states0), list(extras), list(saved), dfeeds.contiguous(), dalpha.contiguous())
    return dP, dw_feed, dw_hh, db_hh, dmemory, dkeys, dw_c, dw_q, dv, dfeed0, [dh0, dc0][: len(states0)], dextras
