"""The engine's device-agnostic path on a CUDA GPU (these run only where one is present; the
development machines and CI have none, so they are skipped there and run on a lent GPU machine):
every cell form on the GPU against the same layer on the CPU in float64 (outputs, final states,
all gradients), against torch.nn's cuDNN layers in float32, with lengths and recurrent dropout,
and a language model's training step and generation on the GPU."""
import pytest
import torch

import rnnkit
from rnnkit.decoding import generate
from rnnkit.layers import Recurrent
from rnnkit.models import LanguageModel

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

FORMS = ["rnn_tanh", "rnn_relu", "lstm", "lstm_ln", "gru", "gru_before"]
T, B, D, H = 7, 5, 6, 9
LENGTHS = torch.tensor([7, 3, 5, 1, 6])


def grads(layer, x, lengths):
    layer.zero_grad()
    x = x.detach().clone().requires_grad_()
    out, h_n = layer(x) if lengths is None else layer(x, lengths=lengths)
    states = h_n if isinstance(h_n, tuple) else (h_n,)
    loss = (out * torch.linspace(-1, 1, out.shape[-1], device=out.device, dtype=out.dtype)).sum()
    loss = loss + sum((s ** 2).sum() for s in states)
    loss.backward()
    return [out, *states, x.grad, *(p.grad for p in layer.parameters())]


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("form", FORMS)
def test_every_form_on_the_gpu_equals_the_cpu(form, bidirectional):
    torch.manual_seed(0)
    cpu = Recurrent(form, D, H, num_layers=2, bidirectional=bidirectional, dtype=torch.float64, backend="engine")
    gpu = Recurrent(form, D, H, num_layers=2, bidirectional=bidirectional, dtype=torch.float64,
                    backend="engine").cuda()
    gpu.load_state_dict(cpu.state_dict())
    x = torch.randn(T, B, D, dtype=torch.float64)
    for lengths in (None, LENGTHS):
        a = grads(cpu, x, lengths)
        b = grads(gpu, x.cuda(), None if lengths is None else lengths.cuda())
        for u, v in zip(a, b, strict=True):
            torch.testing.assert_close(v.cpu(), u, atol=1e-10, rtol=1e-8)


@pytest.mark.parametrize("form,layer,torch_layer,options", [
    ("lstm", rnnkit.LSTM, torch.nn.LSTM, {}), ("gru", rnnkit.GRU, torch.nn.GRU, {}),
    ("rnn_tanh", rnnkit.RNN, torch.nn.RNN, {}), ("rnn_relu", rnnkit.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
])
def test_engine_on_the_gpu_equals_cudnn(form, layer, torch_layer, options):
    torch.manual_seed(0)
    ref = torch_layer(D, H, num_layers=2, **options).cuda()
    ours = layer(D, H, num_layers=2, **options, backend="engine").cuda()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(T, B, D, device="cuda")
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    for a, b in zip(grads(ours, x, None), grads(ref, x, None), strict=True):
        torch.testing.assert_close(a, b, atol=2e-5, rtol=1e-4)


def test_recurrent_dropout_and_auto_backend_on_the_gpu():
    torch.manual_seed(0)
    layer = rnnkit.LSTM(D, H, recurrent_dropout=0.3).cuda().train()
    out, _ = layer(torch.randn(T, B, D, device="cuda"), lengths=LENGTHS.cuda())
    out.sum().backward()
    assert out.is_cuda and torch.isfinite(layer.weight_hh_l0.grad).all()
    assert (out[3:, 1] == 0).all()                                   # past its length: zeros
    auto = rnnkit.GRU(D, H).cuda()                                    # auto: cuDNN for the standard GRU
    assert auto(torch.randn(T, B, D, device="cuda"))[0].is_cuda


def test_a_language_model_trains_and_generates_on_the_gpu():
    torch.manual_seed(0)
    model = LanguageModel(12, embedding_dim=8, hidden_size=16, num_layers=2, dropout=0.1,
                          cell="lstm", recurrent_dropout=0.1).cuda()
    data = torch.tensor([i % 7 + 1 for i in range(161)], device="cuda")
    tokens, targets = data[:-1].view(40, 4), data[1:].view(40, 4)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    first = None
    for _ in range(80):
        nats, count, _ = model.loss(tokens, targets)
        optimizer.zero_grad()
        (nats / count).backward()
        optimizer.step()
        first = first if first is not None else float(nats.detach()) / count
    assert float(nats.detach()) / count < 0.5 * first
    model.eval()
    ids = generate(model, [1, 2, 3], 20, temperature=0, banned={0})
    assert len(ids) == 20 and 0 not in ids
    trace = model.rnn.trace(model.embedding(tokens[:, :2]))
    assert trace.gates["f"].is_cuda


def test_every_command_runs_on_the_gpu(tmp_path, monkeypatch, capsys):
    """Every train and inference command with --device cuda, on the compatibility fixtures' data."""
    import shutil
    from pathlib import Path

    from rnnkit.cli.main import main
    from tests.fixtures.make_runs import COMMANDS, TRAIN

    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "data", tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    tiny = ["--epochs", "2", "--batch-size", "8", "--device", "cuda"]
    for task, args in TRAIN.items():
        assert main(["train", task, *args, *tiny, "--out", f"runs/{task}"]) == 0, task
        for command in COMMANDS[task]:
            assert main([*command, "--device", "cuda"]) == 0, command
        assert rnnkit.load(f"runs/{task}", device="cuda").run_config["task"] == task
        assert next(rnnkit.load(f"runs/{task}").parameters()).is_cuda          # auto: the GPU
    assert main(["train", "lm", "--out", "runs/lm", "--resume", "--epochs", "3", "--device", "cpu"]) == 0
    capsys.readouterr()


def test_ctrl_c_and_resume_on_the_gpu_is_exact(tmp_path):
    """Dropout on the GPU draws from the CUDA generator: the checkpoint keeps its state too."""
    import os
    import signal

    from rnnkit.data import StreamBatches
    from rnnkit.training import RunDir, Schedule, Trainer, TrainingInterrupted, TrainOptions

    text = torch.tensor([i % 7 for i in range(400)])

    def make(name, resume=False):
        torch.manual_seed(0)
        model = LanguageModel(8, embedding_dim=12, hidden_size=16, num_layers=2, dropout=0.3,
                              recurrent_dropout=0.2).cuda()
        run = RunDir.create(tmp_path / name, resume=resume)
        if not resume:
            run.write_config({"task": "lm"})
        options = TrainOptions(epochs=2, lr=0.01, schedule=Schedule("cosine", base_lr=0.01), checkpoint_every=1e9)
        return Trainer(model, run, options, batches=lambda epoch: StreamBatches(text, 4, 10),
                       step=lambda m, b, carry: m.loss(*b, carry), resume=resume), model

    straight, a = make("straight")
    straight.fit()
    split, _ = make("split")
    real, calls = split.step_fn, {"n": 0}

    def step(*args):
        out = real(*args)
        calls["n"] += 1
        if calls["n"] == 7:
            os.kill(os.getpid(), signal.SIGINT)
        return out

    split.step_fn = step
    with pytest.raises(TrainingInterrupted):
        split.fit()
    torch.cuda.manual_seed_all(12345)     # a resumed process starts from another CUDA random state
    resumed, b = make("split", resume=True)
    resumed.fit()
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(x, y), name


def test_data_parallel_on_gpus(tmp_path, capsys):
    """One rank per GPU over NCCL where there are two GPUs; more ranks than GPUs is one line."""
    import subprocess
    import sys
    from pathlib import Path

    from rnnkit.cli.main import main

    data = Path(__file__).parents[1] / "fixtures" / "data"
    train = ["train", "classify", "--train", str(data / "train.tsv"), "--hidden", "8", "--embedding", "8",
             "--epochs", "2", "--batch-size", "8", "--device", "cuda"]
    gpus = torch.cuda.device_count()
    assert main([*train, "--out", str(tmp_path / "many"), "--nproc", str(gpus + 1)]) == 2
    assert f"{gpus + 1} processes on GPUs need one GPU each, but this machine has {gpus}" in capsys.readouterr().err
    if gpus < 2:
        pytest.skip("NCCL with two ranks needs two GPUs; this machine has one")
    done = subprocess.run([sys.executable, "-m", "rnnkit.cli.main", *train, "--out", str(tmp_path / "two"), "--nproc",
                           "2"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "steps on 2 processes" in done.stderr, done.stderr
