"""ONNX export: onnxruntime against rnnkit on the same machine, same weights, same inputs.

    python benchmarks/export.py [--fresh] [--exploratory]

- ``generation``: milliseconds per generation step of a character language model (65 symbols,
  2 x 512 LSTM, embedding 512), one stream, 1,000 steps fed back: rnnkit's lean ``model.step()``
  against ``step.onnx`` in onnxruntime (the state passed back in each step).
- ``classifier``: milliseconds per batch of a text classifier of the SST-2 size (vocabulary
  16,000, embedding 300, BiLSTM 256, attention pooling), 64 sentences of 5 to 40 tokens, padded:
  ``model(tokens, lengths)`` without autograd against ``classifier.onnx``.
- For each: the size of the ONNX file and the time to build and write it.
Both sides use the machine's 2 threads (onnxruntime's intra-op threads set to torch's); contenders
interleave, medians of 5 rounds.  Results: benchmarks/results/export.json.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from common import open_results, results_options

ROUNDS = 5
SEED = 0        # of the untrained weights and the inputs


def session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def written(graph, folder: Path, name: str) -> Path:
    graph.save(folder / name)
    return folder / name


def generation(folder: Path, steps: int = 1000) -> dict:
    from rnnkit.models import LanguageModel
    from rnnkit.tasks.language_model.export import language_model_step

    torch.manual_seed(SEED)
    model = LanguageModel(65, embedding_dim=512, hidden_size=512, num_layers=2).eval()
    start = time.perf_counter()
    path = written(language_model_step(model), folder, "step.onnx")
    export_s = time.perf_counter() - start
    ort = session(path)
    tokens = torch.randint(0, 65, (steps,))

    def rnnkit_steps():
        state = model.initial_state(1)
        with torch.no_grad():
            for token in tokens:
                _, state = model.step(token[None], state)

    def onnx_steps():
        h, c = (s.numpy() for s in model.initial_state(1))
        for token in tokens.numpy():
            _, h, c = ort.run(None, {"token": np.array([token]), "h": h, "c": c})

    ms = timed({"rnnkit model.step()": rnnkit_steps, "onnxruntime step.onnx": onnx_steps}, per=steps)
    return {"ms_per_step": ms, "onnx_vs_rnnkit": ms["rnnkit model.step()"] / ms["onnxruntime step.onnx"],
            "file_mb": round(path.stat().st_size / 1e6, 2), "export_s": round(export_s, 2)}


def classifier(folder: Path, batch: int = 64) -> dict:
    from rnnkit.models import SequenceClassifier
    from rnnkit.tasks.classification.export import text_classifier

    torch.manual_seed(SEED)
    model = SequenceClassifier(16000, 2, embedding_dim=300, hidden_size=256, pooling="attention").eval()
    start = time.perf_counter()
    path = written(text_classifier(model), folder, "classifier.onnx")
    export_s = time.perf_counter() - start
    ort = session(path)
    lengths = torch.randint(5, 41, (batch,))
    tokens = torch.randint(4, 16000, (int(lengths.max()), batch))
    tokens[torch.arange(len(tokens))[:, None] >= lengths[None, :]] = 0
    feeds = {"tokens": tokens.numpy(), "lengths": lengths.numpy()}

    def rnnkit_batch():
        with torch.no_grad():
            model(tokens, lengths)

    ms = timed({"rnnkit model(tokens, lengths)": rnnkit_batch,
                "onnxruntime classifier.onnx": lambda: ort.run(None, feeds)}, per=1, repeats=20)
    return {"ms_per_batch": ms, "batch": batch,
            "onnx_vs_rnnkit": ms["rnnkit model(tokens, lengths)"] / ms["onnxruntime classifier.onnx"],
            "file_mb": round(path.stat().st_size / 1e6, 2), "export_s": round(export_s, 2)}


def timed(contenders: dict, per: int, repeats: int = 1) -> dict:
    """Median milliseconds per ``per`` of each contender, interleaved, after one warm-up round."""
    times = {name: [] for name in contenders}
    for k in range(ROUNDS + 1):
        for name, run in contenders.items():
            start = time.perf_counter()
            for _ in range(repeats):
                run()
            if k:
                times[name].append((time.perf_counter() - start) / repeats)
    return {name: round(1e3 * statistics.median(t) / per, 4) for name, t in times.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    results_options(parser)
    args = parser.parse_args(argv)
    results = open_results("export", args)
    with tempfile.TemporaryDirectory() as folder:
        for name, part in (("generation", generation), ("classifier", classifier)):
            if name not in results:
                results.record(name, part(Path(folder)), seeds=[SEED])
                print(name, results[name], file=sys.stderr)
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
