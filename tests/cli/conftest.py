"""What the command-line tests of language models share: a small text and a fast model."""
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
