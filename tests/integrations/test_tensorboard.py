"""--tensorboard on a real run: the curves TensorBoard reads back, and a resumed run that goes on
writing them from its checkpoint's step.  Run by `make test-ecosystem` (tensorboard is an optional
extra)."""
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from rnnkit.cli.main import main


def scalars(folder) -> dict:
    events = EventAccumulator(str(folder))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def test_a_run_and_its_resume_write_their_curves(tmp_path):
    (tmp_path / "train.tsv").write_text("".join(f"{t}\t{y}\n" for t, y in [("a fine film", "good"),
                                                                          ("a dull film", "bad")] * 12))
    flags = ["--train", tmp_path / "train.tsv", "--out", tmp_path / "run", "--hidden", "8", "--embedding", "4",
             "--batch-size", "4", "--log-every", "2", "--tensorboard", tmp_path / "board"]
    assert main([str(a) for a in ["train", "classify", *flags, "--epochs", "1"]]) == 0
    first = scalars(tmp_path / "board")
    assert {"train/loss", "train/lr", "valid/loss", "valid/accuracy", "valid/macro_f1"} <= set(first)
    assert [step for step, _ in first["valid/accuracy"]] == [6]                   # 22 examples, 4 a batch
    assert main([str(a) for a in ["train", "classify", "--out", tmp_path / "run", "--resume", "--epochs", "2",
                                  "--tensorboard", tmp_path / "board"]]) == 0
    assert [step for step, _ in scalars(tmp_path / "board")["valid/accuracy"]] == [6, 12]
