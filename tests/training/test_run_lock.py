"""One writer per run directory: a second process training into a run directory another holds is
refused in one line naming the holder's process id; the lock goes with the holder, so after a
kill -9 the run resumes; reading a run stays allowed while it is held."""
import os
import signal
import subprocess
import sys

import pytest

from rnnkit.cli.main import main
from rnnkit.training import RunDir

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="runs are locked with flock, on POSIX only")

HOLD = "import sys, time; from rnnkit.training import RunDir; RunDir(sys.argv[1]).lock(); print('held', flush=True); time.sleep(60)"


def holder(path):
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_writer_is_refused_naming_the_holder_and_a_killed_holder_frees_the_run(tmp_path, capsys):
    (tmp_path / "train.txt").write_text("the cat sat on the mat. " * 40)
    flags = ["--text", str(tmp_path / "train.txt"), "--hidden", "8", "--bptt", "10", "--batch-size", "2"]
    assert main(["train", "lm", *flags, "--epochs", "1", "--out", str(tmp_path / "run")]) == 0
    process = holder(tmp_path / "run")
    capsys.readouterr()
    try:
        assert main(["train", "lm", "--out", str(tmp_path / "run"), "--resume", "--epochs", "2"]) == 2
        err = capsys.readouterr().err
        assert f"another rnnkit process (pid {process.pid}) is training into this run directory" in err
        assert len(err.strip().splitlines()) == 1
        assert main(["train", "lm", *flags, "--epochs", "1", "--out", str(tmp_path / "run")]) == 2
        assert f"(pid {process.pid})" in capsys.readouterr().err                      # a new run there too
        assert main(["evaluate", str(tmp_path / "run"), "--test", str(tmp_path / "train.txt")]) == 0   # reading
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert main(["train", "lm", "--out", str(tmp_path / "run"), "--resume", "--epochs", "2"]) == 0


def test_the_lock_goes_with_its_holder(tmp_path):
    run = RunDir(tmp_path / "run")
    fd = run.lock()
    take = [sys.executable, "-c", "import sys; from rnnkit.training import RunDir; RunDir(sys.argv[1]).lock()",
            str(run.path)]
    other = subprocess.run(take, capture_output=True, text=True, timeout=60)
    assert other.returncode != 0 and f"another rnnkit process (pid {os.getpid()})" in other.stderr
    os.close(fd)                                                                    # the holder lets go
    assert subprocess.run(take, capture_output=True, timeout=60).returncode == 0
