"""Run directories, and ``rnnkit.load``.

A run directory holds ``config.json`` (task, model, data with the label sets, and training
options), the best weights on validation (or the last, without validation) in
``model.safetensors``, the vocabulary in ``vocab.json`` (and the characters in ``chars.json``
where a model spells words; a translation model has ``vocab.src.json`` and ``vocab.tgt.json``,
and ``subword.src.model`` and ``subword.tgt.model`` where it uses subwords), one JSON object
per line in ``metrics.jsonl``, PNG plots in ``plots/`` and resumable checkpoints in
``checkpoints/``.  Every file is written atomically.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors.torch import load_model, save_model

from rnnkit.data import ReversibleWordTokenizer, SubwordTokenizer, Vocab, tokenizer_for
from rnnkit.errors import RnnkitError
from rnnkit.models import MODELS


class RunDir:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.config = self.path / "config.json"
        self.model = self.path / "model.safetensors"
        self.vocab = self.path / "vocab.json"
        self.chars = self.path / "chars.json"          # character vocabulary, where a model spells words
        self.metrics = self.path / "metrics.jsonl"
        self.plots = self.path / "plots"
        self.checkpoints = self.path / "checkpoints"

    def side_vocab(self, side: str) -> Path:
        """A translation model's vocabulary of ``side`` ("src" or "tgt")."""
        return self.path / f"vocab.{side}.json"

    def subword_model(self, side: str) -> Path:
        return self.path / f"subword.{side}.model"

    @classmethod
    def create(cls, path: str | Path, *, resume: bool) -> "RunDir":
        """A new run directory, or with ``resume`` an existing one.  Never overwrites a run."""
        run = cls(path)
        if resume:
            run.require()
            return run
        if run.path.exists() and (not run.path.is_dir() or any(run.path.iterdir())):
            raise RnnkitError(f"{run.path}: already exists and is not empty; pass --resume to continue "
                              "the run in it, or choose another --out")
        run.plots.mkdir(parents=True, exist_ok=True)
        run.checkpoints.mkdir(exist_ok=True)
        return run

    def require(self) -> None:
        if not self.config.is_file():
            raise RnnkitError(f"{self.path}: not a run directory (no config.json); "
                              "make one with `rnnkit train ... --out DIR`")

    def read_config(self) -> dict:
        self.require()
        try:
            return json.loads(self.config.read_text())
        except ValueError as e:
            raise RnnkitError(f"{self.config}: not valid JSON ({e})") from None

    def write_config(self, config: dict) -> None:
        write_atomic(self.config, json.dumps(config, indent=1))

    def save_weights(self, model: torch.nn.Module) -> None:
        tmp = self.model.with_name(".model.safetensors.tmp")
        save_model(model, str(tmp))
        os.replace(tmp, self.model)

    def log(self, record: dict) -> None:
        with self.metrics.open("a") as f:
            f.write(json.dumps(record) + "\n")

    def read_metrics(self) -> list[dict]:
        if not self.metrics.exists():
            return []
        return [json.loads(line) for line in self.metrics.read_text().splitlines() if line.strip()]


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def load(run_dir: str | Path) -> torch.nn.Module:
    """The trained model of a run directory, in eval mode, with ``.vocab``, ``.char_vocab``,
    ``.tokenizer``, ``.labels`` and ``.config`` attached: ready for ``step()``, ``predict()``,
    ``tag()`` or ``rnnkit.decoding.translate()`` (a translation model has ``.src_vocab``,
    ``.tgt_vocab``, ``.src_tokenizer``, ``.tgt_tokenizer`` and ``.max_length`` instead)."""
    run = RunDir(run_dir)
    config = run.read_config()
    task = config.get("task")
    if task not in MODELS:
        raise RnnkitError(f"{run.config}: unknown task {task!r}")
    if not run.model.is_file():
        raise RnnkitError(f"{run.path}: has no model.safetensors yet (training has not saved a model)")
    model = MODELS[task](**config["model"])
    try:
        load_model(model, str(run.model))
    except (OSError, RuntimeError, ValueError) as e:
        raise RnnkitError(f"{run.model}: does not fit the model in config.json ({e})") from None
    data = config.get("data", {})
    model.config = config
    if task == "translate":
        for side in ("src", "tgt"):
            setattr(model, f"{side}_vocab", Vocab.load(run.side_vocab(side)))
            setattr(model, f"{side}_tokenizer", translation_tokenizer(data["tokenizer"], run, side))
        model.max_length = data["max_length"]
        return model.eval()
    model.vocab = Vocab.load(run.vocab)
    model.char_vocab = Vocab.load(run.chars) if run.chars.is_file() else None
    model.tokenizer = tokenizer_for(data["level"], data.get("lowercase", False)) if data.get("level") else None
    model.labels = data.get("labels")
    return model.eval()


def translation_tokenizer(kind: str, run: RunDir, side: str):
    """The saved tokenizer of one side of a translation run: "subword" or "word"."""
    if kind == "subword":
        return SubwordTokenizer.load(run.subword_model(side))
    if kind == "word":
        return ReversibleWordTokenizer()
    raise RnnkitError(f"{run.config}: unknown tokenizer {kind!r}")
