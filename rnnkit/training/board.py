"""Training curves in TensorBoard (``--tensorboard DIR``; ``pip install rnnkit[tensorboard]``):
every record the trainer writes to ``metrics.jsonl`` also as scalars, ``train/loss``,
``train/lr``, ``train/tokens_per_s``, ``train/grad_norm``, ``valid/loss``, ``valid/accuracy`` ...,
against the optimizer step."""
from __future__ import annotations

from pathlib import Path

from rnnkit.errors import RnnkitError

NOT_CURVES = ("step", "epoch", "elapsed")


def open_board(folder: str | Path, purge_step: int | None = None):
    """A TensorBoard writer into ``folder``; ``purge_step``: for a resumed run, the step after its
    checkpoint's, from which on the events an earlier process wrote (past its last checkpoint)
    are hidden."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise RnnkitError("--tensorboard needs the tensorboard package: pip install 'rnnkit[tensorboard]'") from None
    return SummaryWriter(log_dir=str(folder), purge_step=purge_step)


def write_record(writer, record: dict) -> None:
    """One record of metrics.jsonl as scalars at its step."""
    for key, value in record.items():
        if key in NOT_CURVES or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        tag = f"valid/{key.removeprefix('valid_')}" if key.startswith("valid_") else f"train/{key.removeprefix('train_')}"
        writer.add_scalar(tag, value, record["step"])
    writer.flush()
