"""Data-parallel training on 2 gloo processes: the same weights as one process on the same global
batch (a language model whose streams carry their state, a classifier of padded sentences), exact
resume, refusals, and a dead rank ending the others."""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file

from rnnkit.cli.main import main
from rnnkit.training import distributed
from tests.cli.conftest import TEXT, fails

from tests.training.distributed_runs import train

pytestmark = [pytest.mark.skipif(not torch.distributed.is_available(), reason="a PyTorch without torch.distributed"),
              pytest.mark.slow]   # every test starts processes that train


@pytest.mark.parametrize("case", ["lm", "classifier"])
def test_two_processes_step_as_one_on_the_same_global_batch(tmp_path, case):
    train(0, 1, case, str(tmp_path / "one"), 0)
    mp.spawn(train, args=(2, case, str(tmp_path / "two"), distributed.free_port()), nprocs=2)
    one, two = (load_file(str(tmp_path / name / "model.safetensors")) for name in ("one", "two"))
    start = train.__globals__["CASES"][case][0]().state_dict()
    assert one.keys() == two.keys()
    for name in one:
        assert not torch.equal(one[name], start[name]) or name.endswith("bias_hh_l0"), name   # they trained
        torch.testing.assert_close(two[name], one[name], rtol=0, atol=1e-6)


@pytest.fixture
def rnnkit(capfd, monkeypatch):
    """``rnnkit(*args)``: the command line in this process, whose ranks are processes of their own
    on the CPU (gloo) also where a GPU is present; its exit status and what it and rank 0 wrote to
    stderr (the launcher in this process saves starting one more Python with torch)."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")

    def run(*args):
        capfd.readouterr()
        status = main(list(args))
        return SimpleNamespace(returncode=status, stderr=capfd.readouterr().err)
    return run


DATA = Path(__file__).parents[1] / "fixtures" / "data"
LM = ["--hidden", "16", "--bptt", "20", "--batch-size", "4", "--schedule", "constant", "--dropout", "0.2",
      "--nproc", "2"]


def test_resume_of_two_processes_is_the_uninterrupted_run(tmp_path, rnnkit):
    (tmp_path / "t.txt").write_text(TEXT)
    text = ["train", "lm", "--text", str(tmp_path / "t.txt")]
    done = rnnkit(*text, "--out", str(tmp_path / "whole"), "--epochs", "2", *LM)
    assert done.returncode == 0, done.stderr
    assert "on 2 processes" in done.stderr
    assert rnnkit(*text, "--out", str(tmp_path / "parts"), "--epochs", "1", *LM).returncode == 0
    done = rnnkit(*text, "--out", str(tmp_path / "parts"), "--resume", "--epochs", "2", "--nproc", "2")
    assert done.returncode == 0, done.stderr
    whole, parts = (load_file(str(tmp_path / n / "model.safetensors")) for n in ("whole", "parts"))
    assert all(torch.equal(whole[k], parts[k]) for k in whole)
    done = rnnkit(*text, "--out", str(tmp_path / "parts"), "--resume", "--epochs", "3")
    assert done.returncode == 2 and "resume it with --nproc 2" in done.stderr
    assert done.stderr.strip().count("\n") == 0


def test_resume_of_a_sharded_classifier_is_the_uninterrupted_run(tmp_path, rnnkit):
    """Batches dealt round-robin to the ranks (every task but the language model): the position
    in the epoch and each rank's random state resume exactly."""
    args = ["train", "classify", "--train", str(DATA / "train.tsv"), "--hidden", "8", "--embedding", "8",
            "--batch-size", "4", "--dropout", "0.3", "--schedule", "constant", "--nproc", "2"]
    assert rnnkit(*args, "--out", str(tmp_path / "whole"), "--epochs", "2").returncode == 0
    assert rnnkit(*args, "--out", str(tmp_path / "parts"), "--epochs", "1").returncode == 0
    done = rnnkit("train", "classify", "--out", str(tmp_path / "parts"), "--resume", "--epochs", "2", "--nproc", "2")
    assert done.returncode == 0, done.stderr
    whole, parts = (load_file(str(tmp_path / n / "model.safetensors")) for n in ("whole", "parts"))
    assert all(torch.equal(whole[k], parts[k]) for k in whole)


def test_a_dead_rank_ends_the_others(tmp_path):
    (tmp_path / "t.txt").write_text(TEXT * 20)
    launcher = subprocess.Popen([sys.executable, "-m", "rnnkit.cli.main", "train", "lm", "--text",
                                 str(tmp_path / "t.txt"), "--out", str(tmp_path / "run"), "--epochs", "50", *LM],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    rank1 = None
    deadline = time.monotonic() + 120
    while rank1 is None and time.monotonic() < deadline:   # wait until rank 1 trains
        time.sleep(1)
        children = subprocess.run(["pgrep", "-P", str(launcher.pid)], capture_output=True, text=True).stdout.split()
        for pid in children:
            try:
                environ = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
            except OSError:
                continue
            if b"RANK=1" in environ and (tmp_path / "run" / "metrics.jsonl").exists():
                rank1 = int(pid)
    assert rank1 is not None, "rank 1 never started training"
    killed = time.monotonic()
    os.kill(rank1, signal.SIGKILL)
    _, err = launcher.communicate(timeout=90)
    assert time.monotonic() - killed < 60
    assert launcher.returncode == 2
    assert re.search(r"error: rank 1 of 2 failed \(killed by signal 9\); the other ranks were stopped\n$", err), err


def test_nproc_is_checked(tmp_path, capsys):
    (tmp_path / "t.txt").write_text(TEXT)
    fails(["train", "lm", "--text", str(tmp_path / "t.txt"), "--out", str(tmp_path / "r"), "--nproc", "0"], capsys,
          "--nproc: must be a positive integer, got 0")
    assert main(["train", "lm", "--text", str(tmp_path / "t.txt"), "--out", str(tmp_path / "r"), "--epochs", "1",
                 "--hidden", "8", "--bptt", "20"]) == 0


@pytest.mark.parametrize("task, args", [
    ("classify", ["--train", str(DATA / "train.tsv"), "--hidden", "8", "--embedding", "8"]),
    ("tag", ["--train", str(DATA / "train.conllu"), "--hidden", "8", "--embedding", "8", "--char-embedding", "4",
             "--char-hidden", "4"]),
    ("translate", ["--src", str(DATA / "train.de"), "--tgt", str(DATA / "train.en"), "--tokenizer", "word",
                   "--hidden", "8", "--embedding", "8"]),
    ("forecast", ["--csv", "SERIES", "--horizon", "4", "--season", "12", "--hidden", "8"]),
    ("longrange", ["--problem", "copy", "--length", "24", "--hidden", "8", "--epoch-size", "64", "--test-size",
                   "32"]),
])
def test_tasks_train_on_two_processes(tmp_path, task, args, rnnkit):
    series = tmp_path / "series.csv"
    series.write_text("month,value\n" + "".join(f"{2000 + k // 12}-{k % 12 + 1:02d},{100 + k + 10 * (k % 12)}\n"
                                                for k in range(72)))
    args = [str(series) if a == "SERIES" else a for a in args]
    done = rnnkit("train", task, *args, "--out", str(tmp_path / "run"), "--epochs", "2", "--batch-size", "8",
                  "--nproc", "2")
    assert done.returncode == 0, done.stderr
    assert "steps on 2 processes" in done.stderr and (tmp_path / "run" / "model.safetensors").is_file()
    assert json.loads((tmp_path / "run" / "config.json").read_text())["args"]["nproc"] == 2


def _recordings(root):
    from tests.cli.test_recordings_cli import write_ts
    return ["classify", "--train", str(write_ts(root / "train.ts", 40, 0)), "--hidden", "8"]


def _clips(root):
    from tests.cli.test_clips_cli import write_clips
    return ["classify", "--clips", str(root), "--labels", str(write_clips(root, 24, 0)), "--hidden", "8",
            "--cnn-channels", "4,4", "--image-size", "16"]


def _caption(root):
    from tests.cli.test_caption_cli import write_scenes
    (root / "images").mkdir()
    return ["caption", "--images", str(root / "images"), "--captions", str(write_scenes(root / "images", 24, 0)),
            "--hidden", "8", "--embedding", "8", "--cnn-channels", "4,4", "--image-size", "24x12", "--attention", "dot"]


def _track(root):
    from tests.cli.test_track_cli import write_clips
    return ["track", "--clips", str(root), "--positions", str(write_clips(root, 16, 0, "train.csv")), "--hidden", "8",
            "--embedding", "8", "--cnn-channels", "4,4", "--image-size", "16", "--horizon", "2"]


def _melody(root):
    pytest.importorskip("music21")
    from tests.cli.test_melody_cli import tunes
    (root / "songs.abc").write_text(tunes(12))
    return ["melody", "--music", str(root / "songs.abc"), "--hidden", "8", "--embedding", "8"]


@pytest.mark.parametrize("make", [_recordings, _clips, _caption, _track, _melody], ids=lambda f: f.__name__[1:])
def test_tasks_on_made_data_train_on_two_processes(tmp_path, make, monkeypatch, rnnkit):
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "cache"))
    task, *args = make(tmp_path)
    done = rnnkit("train", task, *args, "--out", str(tmp_path / "run"), "--epochs", "2", "--batch-size", "4",
                  "--nproc", "2")
    assert done.returncode == 0, done.stderr
    assert "steps on 2 processes" in done.stderr and (tmp_path / "run" / "model.safetensors").is_file()


def test_ranks_on_gpus_need_one_gpu_each(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    distributed.check_gpus(torch.device("cuda"), 1)
    distributed.check_gpus(torch.device("cpu"), 4)
    with pytest.raises(distributed.RnnkitError, match=r"2 processes on GPUs need one GPU each, but this machine has "
                                                       r"1; give --nproc 1, or --device cpu"):
        distributed.check_gpus(torch.device("cuda"), 2)
    with pytest.raises(distributed.RnnkitError, match=r"--device cuda:0 with 2 processes: .* give --device cuda"):
        distributed.check_gpus(torch.device("cuda:0"), 2)


def test_rank_0_ended_by_a_signal_is_one_line(monkeypatch, capsys):
    """Rank 0's stderr is the terminal's, so no kept line is added to its signal."""
    class Rank:
        def __init__(self, args, env, stdout, stderr):
            self.returncode = -9 if env["RANK"] == "0" else None

        def poll(self):
            return self.returncode

        def terminate(self):
            self.returncode = -15

        def wait(self, timeout=None):
            return self.returncode

    monkeypatch.setattr(distributed.subprocess, "Popen", Rank)
    assert distributed.launch(["train"], 2) == 2
    assert capsys.readouterr().err == "error: rank 0 of 2 failed (killed by signal 9); the other ranks were stopped\n"
