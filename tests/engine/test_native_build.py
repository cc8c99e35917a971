"""Building the C++ time loop: a killed build blocks nobody, a completed one loads without ninja,
and ``rnnkit build`` compiles it ahead of time.  Builds go into temporary extension caches."""
import os
import shutil
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest
from torch.utils import cpp_extension

from rnnkit.cli.main import main
from rnnkit.engine import native

needs_native = pytest.mark.skipif(os.environ.get("RNNKIT_NATIVE") == "0", reason="RNNKIT_NATIVE=0 disables the C++ loop")

HOLD = """
import sys, time
from pathlib import Path
from rnnkit.engine import native
with native._build_lock(Path(sys.argv[1]), 0):
    print("held", flush=True)
    time.sleep(600)
"""
LOAD = "from rnnkit.engine import native; m = native.get(); print(native.SOURCE); print(m.__file__ if m else 'none')"


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """An empty extension cache, and no module loaded yet in this process."""
    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(native.LOOP, "module", None)
    monkeypatch.setattr(native.LOOP, "failed", False)
    monkeypatch.setattr(native, "_disabled", False)
    return tmp_path / "cache"


def _hold(lock: Path) -> subprocess.Popen:
    """Another process that holds the build lock until killed."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lock)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def _lock_of_this_build() -> Path:
    name = native.LOOP.name()
    return native._build_dir(name).with_name(f"{name}.lock")


def test_lock_of_a_killed_holder_is_free_at_once(tmp_path):
    lock = tmp_path / "loop.lock"
    holder = _hold(lock)
    holder.kill()    # SIGKILL: the kernel releases its flock
    holder.wait()
    with native._build_lock(lock, wait=0):
        assert lock.read_text().strip() == str(os.getpid())


def test_waiting_for_a_live_holder_is_reported_once_and_bounded(fresh, monkeypatch, capsys):
    monkeypatch.setenv("RNNKIT_BUILD_WAIT", "1")
    holder = _hold(_lock_of_this_build())
    try:
        with pytest.warns(UserWarning, match=rf"could not be built \(TimeoutError: another process \(pid {holder.pid}\)"
                                             r".*Python loop"):
            assert native.get() is None
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert err.count("rnnkit: waiting for another process to finish compiling the C++ time loop") == 1
    assert f"(pid {holder.pid})" in err


def test_unfinished_build_is_cleared_and_a_finished_one_imported_without_ninja(fresh, monkeypatch, capsys):
    name = native.LOOP.name()
    build_dir = native._build_dir(name)
    for left in ("lock", "loop.o", f"{name}.so", "build.ninja"):   # what a killed build leaves, no marker
        (build_dir / left).write_text("partial")
    found = []

    def load(name, sources, build_directory, **kwargs):
        found.append(sorted(os.listdir(build_directory)))
        (Path(build_directory) / f"{name}.so").write_text("library")
        return types.SimpleNamespace(__file__=os.path.join(build_directory, f"{name}.so"))

    monkeypatch.setattr(cpp_extension, "load", load)
    assert native.LOOP.build() == build_dir / f"{name}.so"
    assert found == [[]]
    assert (build_dir / native.MARKER).exists()
    err = capsys.readouterr().err
    assert "rnnkit: compiling the C++ time loop" in err and "rnnkit: C++ time loop compiled in" in err

    def no_ninja(*args, **kwargs):
        raise AssertionError("a completed build must not run cpp_extension.load")

    monkeypatch.setattr(cpp_extension, "load", no_ninja)
    monkeypatch.setattr(native, "_import", lambda name, where: ("imported", name, where))
    assert native.LOOP._build() == ("imported", name, build_dir)
    assert native.LOOP.built() == build_dir / f"{name}.so"
    assert capsys.readouterr().err == ""


def _load(env, cwd, timeout):
    done = subprocess.run([sys.executable, "-c", LOAD], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stderr
    source, library = done.stdout.split()
    return source, library, done.stderr


def _wait_for(found, seconds=120):
    deadline = time.monotonic() + seconds
    while not found():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@needs_native
@pytest.mark.slow      # compiles the C++ loop from scratch, twice: about a minute
def test_killed_build_recovers_and_a_completed_one_loads_from_anywhere_without_ninja(tmp_path):
    cache = tmp_path / "cache"
    env = {**os.environ, "TORCH_EXTENSIONS_DIR": str(cache), "RNNKIT_NATIVE": "1"}
    # kill -9 a process while it compiles: torch's `lock` file and ours stay behind
    first = subprocess.Popen([sys.executable, "-c", LOAD], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        assert any("rnnkit: compiling the C++ time loop" in line for line in first.stderr)
        _wait_for(lambda: list(cache.glob("rnnkit_loop_*/lock")))
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    assert list(cache.glob("rnnkit_loop_*/lock")) and list(cache.glob("rnnkit_loop_*.lock"))

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _, library, err = _load(env, elsewhere, timeout=600)
    assert "rnnkit: C++ time loop compiled in" in err and "waiting" not in err
    assert library.endswith(".so") and Path(library).parent.parent == cache

    # another checkout, and a ninja on PATH that fails: the completed build is imported as it is
    checkout = tmp_path / "checkout"
    shutil.copytree(native.SOURCE.parents[2], checkout / "rnnkit", ignore=shutil.ignore_patterns("__pycache__"))
    ninja = tmp_path / "bin" / "ninja"
    ninja.parent.mkdir()
    ninja.write_text(f"#!/bin/sh\ntouch {tmp_path / 'ninja-ran'}\nexit 1\n")
    ninja.chmod(0o755)
    env.update(PATH=f"{ninja.parent}{os.pathsep}{env['PATH']}", PYTHONPATH=str(checkout))
    source, again, err = _load(env, checkout, timeout=300)
    assert source.startswith(str(checkout))
    assert again == library
    assert "compiling" not in err and not (tmp_path / "ninja-ran").exists()


@needs_native
def test_build_command_prints_the_libraries(capsys):
    assert main(["build"]) == 0
    paths = [Path(line) for line in capsys.readouterr().out.split()]
    assert [p.name.split("_")[1] for p in paths] == ["loop", "sampler"]
    assert all(p.suffix == ".so" and p.exists() for p in paths)
    assert main(["build"]) == 0
    out, err = capsys.readouterr()
    assert out.split() == [str(p) for p in paths] and err.count("already built") == 2 and "compiling" not in err


def test_build_command_when_disabled(capsys):
    with native.disabled():
        assert main(["build"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "disabled (RNNKIT_NATIVE=0)" in err


def test_build_command_failure_is_one_line(fresh, monkeypatch, capsys):
    def broken():
        raise RuntimeError("Error building extension\nninja: build stopped: subcommand failed.")
    monkeypatch.setattr(native.LOOP, "_build", broken)
    assert main(["build"]) == 2
    err = capsys.readouterr().err
    assert err == ("error: the C++ time loop could not be built: "
                   "RuntimeError: ninja: build stopped: subcommand failed.\n")


def test_build_command_help(capsys):
    with pytest.raises(SystemExit) as done:
        main(["build", "--help"])
    assert done.value.code == 0
    assert "usage: rnnkit build" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "compile the C++ time loop ahead of time" in capsys.readouterr().out
