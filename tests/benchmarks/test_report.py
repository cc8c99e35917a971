"""The results store keeps each entry's provenance, and README.md and BENCHMARKS.md show exactly
what the store's entries render to (benchmarks/report.py)."""
import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import report  # noqa: E402
import store  # noqa: E402


def test_readme_and_benchmarks_are_the_rendering_of_the_store():
    problems = report.report(write=False)
    assert problems == [], "\n".join(problems[:20])


def copy_documents(tmp_path: Path) -> Path:
    for name in report.GUARDED:
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_a_hand_typed_figure_inside_a_block_is_caught(tmp_path):
    root = copy_documents(tmp_path)
    path = root / "BENCHMARKS.md"
    text = path.read_text()
    block = report.BLOCK.search(text)
    body = block.group(2)
    changed = body.replace("|", "| 9.99 |", 1) if "|" in body else body + "9.99\n"
    path.write_text(text.replace(block.group(0), block.group(0).replace(body, changed), 1))
    problems = report.report(root, write=False)
    assert any(f"block {block.group(1)!r} differs" in p for p in problems)
    assert report.report(root, write=True) == []          # make bench-report puts it right
    assert (root / "BENCHMARKS.md").read_text() == (ROOT / "BENCHMARKS.md").read_text()


def test_a_table_outside_a_block_is_caught(tmp_path):
    root = copy_documents(tmp_path)
    for name, line in (("BENCHMARKS.md", "\n| method | MAPE |\n| --- | ---: |\n| typed | 1.00 |\n"),
                       ("README.md", None)):
        path = root / name
        text = path.read_text()
        if line is None:   # a table typed into the README's results section
            heading = "## Results on real data\n"
            text = text.replace(heading, heading + "\n| task | result |\n| --- | --- |\n| typed | 1.0 |\n", 1)
        else:
            text += line
        path.write_text(text)
    problems = report.report(root, write=False)
    assert any(p.startswith("BENCHMARKS.md:") and "outside a rendered block" in p for p in problems)
    assert any(p.startswith("README.md:") and "| task | result |" in p for p in problems)


def test_a_block_without_a_renderer_is_an_error(tmp_path):
    root = copy_documents(tmp_path)
    path = root / "README.md"
    path.write_text(path.read_text() + "\n<!-- render no/such-block -->\n<!-- end no/such-block -->\n")
    assert any("no renderer for block 'no/such-block'" in p for p in report.report(root, write=False))


@pytest.fixture
def fake_machine(monkeypatch):
    """The store's provenance without timing torch: a fixed machine and commit."""
    state = {"speed": 50.0}
    monkeypatch.setattr(store, "machine", lambda: {"cpu": "Test CPU", "cores": 2, "threads": 2, "torch": "9.9",
                                                   "speed_index_ms": state["speed"]})
    monkeypatch.setattr(store, "commit", lambda: "abc1234")
    return state


def test_each_entry_keeps_its_own_provenance(tmp_path, fake_machine):
    path = tmp_path / "topic.json"
    results = store.Results(path)
    results.record("a", {"accuracy": 0.9}, seeds=[0, 1, 2], per_seed={0: 0.8, 1: 0.9, 2: 1.0})
    fake_machine["speed"] = 99.0                     # another day, another process
    results = store.Results(path)
    assert results["a"] == {"accuracy": 0.9}
    results["b"] = 3
    entries = store.read_entries(path)
    a, b = entries["a"].provenance, entries["b"].provenance
    assert a["speed_index_ms"] == 50.0 and b["speed_index_ms"] == 99.0   # never overwritten
    assert a["seeds"] == [0, 1, 2] and a["per_seed"] == {"0": 0.8, "1": 0.9, "2": 1.0}
    assert b["seeds"] == store.UNKNOWN
    for p in (a, b):
        assert p["commit"] == "abc1234" and p["kind"] == "result" and p["date"]
        assert p["machine"] == {"cpu": "Test CPU", "cores": 2, "threads": 2, "torch": "9.9"}
        assert "python" in p["command"]


def test_processes_writing_one_topic_keep_each_others_entries(tmp_path, fake_machine):
    path = tmp_path / "topic.json"
    first, second = store.Results(path), store.Results(path)     # opened side by side
    first.record("baselines", 1.0)
    second.record("run", 2.0)
    first.record("more baselines", 3.0)
    assert list(store.read_entries(path)) == ["baselines", "run", "more baselines"]
    store.Results(path, fresh=True).record("again", 4.0)        # fresh forgets what was there
    assert list(store.read_entries(path)) == ["again"]


def test_seeded_runs_resume_and_their_summary_follows_them(tmp_path, fake_machine):
    import common

    results, made = store.Results(tmp_path / "topic.json"), []

    def run(seed):
        made.append(seed)
        return {"accuracy": 0.5 + seed / 10, "seconds": 1.0}

    runs = common.seed_runs(results, "p/rnnkit", 2, run)
    assert made == [0, 1] and runs == {0: {"accuracy": 0.5, "seconds": 1.0}, 1: {"accuracy": 0.6, "seconds": 1.0}}
    common.seed_runs(results, "p/rnnkit", 3, run)                       # a rerun resumes: seed 2 only
    assert made == [0, 1, 2]
    common.seed_runs(results, "p/rnnkit", 1, run, again=True)           # again: made anew
    assert made == [0, 1, 2, 0]
    common.record_summary(results, "p/rnnkit", runs, ("accuracy", "loss"), extra=("seconds",))
    entry = store.read_entries(tmp_path / "topic.json")["p/rnnkit"]
    assert entry.value == {"accuracy": pytest.approx(0.55)}               # loss: not every run has it
    assert entry.provenance["per_seed"] == {"0": {"accuracy": 0.5, "seconds": 1.0}, "1": {"accuracy": 0.6, "seconds": 1.0}}
    assert entry.provenance["seeds"] == [0, 1]


def test_the_validation_split_of_recordings_holds_out_part_of_each_class(tmp_path, monkeypatch):
    import numpy as np

    import defaults

    labels = ["a"] * 8 + ["b"] * 2 + ["c"]
    held = defaults.held_out(labels)
    assert [labels[k] for k in held].count("a") == 2 and [labels[k] for k in held].count("b") == 1
    assert "c" not in [labels[k] for k in held] and held == defaults.held_out(labels)   # never all; seeded
    cases = [np.arange(6.0).reshape(3, 2) + k for k in range(3)]
    defaults.write_ts(tmp_path / "toy.ts", cases, ["x", "y", "x"])
    read_cases, read_labels = defaults.read(tmp_path / "toy.ts")
    assert all(np.array_equal(a, b) for a, b in zip(read_cases, cases)) and read_labels == ["x", "y", "x"]


def test_exploratory_entries_are_never_rendered_as_results(tmp_path, fake_machine):
    store.Results(tmp_path / "t.json", kind="exploratory").record("probe", 1.0, seeds=[0])
    store.Results(tmp_path / "t.json").record("run", 2.0, seeds=[0])
    s = store.Store("t", tmp_path)
    assert s.result("run") == 2.0
    assert s.entry("probe", exploratory=True).exploratory     # its provenance may be shown
    for read in (s.result, s.entry):                            # its value never as a result
        with pytest.raises(store.StoreError, match="exploratory"):
            read("probe")


@pytest.mark.parametrize("content, message", [
    ("not json", "not JSON"),
    (json.dumps({"machine": {}, "old": 1}), "format 2"),
    (json.dumps({"format": 2, "entries": {"x": {"value": 1}}}), "exactly 'value' and 'provenance'"),
    (json.dumps({"format": 2, "entries": {"x": {"value": 1, "provenance": {"kind": "guess"}}}}), "kind 'guess'"),
])
def test_a_malformed_results_file_is_named(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(store.StoreError, match=message) as error:
        store.read_entries(path)
    assert str(path) in str(error.value)


def test_every_stored_entry_is_well_formed():
    for path in sorted((ROOT / "benchmarks" / "results").glob("*.json")):
        for entry in store.read_entries(path).values():
            p = entry.provenance
            missing = {"command", "commit", "date", "machine", "speed_index_ms", "seeds", "kind"} - set(p)
            assert not missing, f"{path.name}: {entry.name} lacks {missing}"
            assert set(p["machine"]) >= {"cpu", "cores", "torch"}, f"{path.name}: {entry.name}"


def test_the_commit_ignores_the_results_files_but_not_the_code(tmp_path, monkeypatch):
    import subprocess

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "t.json").write_text("{}")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    monkeypatch.setattr(store, "REPO", tmp_path)
    monkeypatch.setattr(store, "RESULTS_DIR", tmp_path / "results")
    (tmp_path / "results" / "t.json").write_text('{"format": 2}')      # a benchmark writing its entries
    store.commit.cache_clear()
    assert not store.commit().endswith("+changes")
    (tmp_path / "code.py").write_text("x = 2\n")
    store.commit.cache_clear()
    assert store.commit().endswith("+changes")
    store.commit.cache_clear()
