"""rnnkit: recurrent sequence models on PyTorch.

``rnnkit.RNN``, ``LSTM`` and ``GRU`` are drop-in replacements for torch.nn's layers, run by a
whole-sequence BPTT engine with hand-derived gradients; they add variable lengths without
packing, recurrent dropout, the LayerNorm LSTM, both GRU forms and per-step gate traces.
"""
from rnnkit.layers import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell, Trace

__version__ = "0.1.0"
__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell", "Trace", "load", "train"]


def load(run_dir, device="auto"):
    """The trained model of a run directory on ``device`` ("auto": the first CUDA GPU where there
    is one, else the CPU), with its vocabularies, tokenizers and labels, and ``predict``,
    ``evaluate`` and ``save`` (``rnnkit.tasks.trained.Trained``; see docs/python.md)."""
    from rnnkit.tasks import load as load_run

    return load_run(run_dir, device)


def train(task, data=None, *, valid=None, out=None, **options):
    """Train the application ``task`` ("lm", "classify", "tag", "translate", "forecast", ...) on
    ``data`` held in memory, or on files given as the options of ``rnnkit train TASK`` (in
    snake_case: ``text="input.txt"``, ``batch_size=32``), and return the trained model, as
    ``load`` returns it (``rnnkit.tasks.python.train``)."""
    from rnnkit.tasks.python import train as train_task

    return train_task(task, data, valid=valid, out=out, **options)

