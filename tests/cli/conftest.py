"""What the command-line tests share: a small text and a fast language model, and the check of a
one-line error."""
from rnnkit.cli.main import main

TEXT = "the cat sat on the mat.\nthe dog sat on the log.\na cat and a dog met.\n" * 40
FAST = ["--layers", "1", "--hidden", "32", "--bptt", "20", "--batch-size", "4", "--log-every", "5"]


def small_lm(root, test_chars: int, *options: str):
    """``root`` with train.txt, test.txt (the first ``test_chars`` characters) and a character
    model trained on them in ``root/run``."""
    (root / "train.txt").write_text(TEXT)
    (root / "test.txt").write_text(TEXT[:test_chars])
    assert main(["train", "lm", "--text", str(root / "train.txt"), "--out", str(root / "run"), *options, *FAST]) == 0
    return root


def fails(argv, capsys, message: str) -> None:
    """``rnnkit ARGV`` exits with status 2 and one line on stderr, no traceback, that says ``message``."""
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    assert message in err, err
