"""Long-range problems, generated at any length from a seed: what a recurrent network must carry
across many steps.

- ``adding`` (Hochreiter & Schmidhuber 1997): each step holds a value uniform in [0, 1] and a
  marker; one step in each half of the sequence is marked; the answer, at the end, is the sum
  of the two marked values.  Predicting the mean, 1, scores a mean squared error of 1/6 (about
  0.167): the variance of a sum of two uniforms.
- ``copy`` (the memory task of Hochreiter & Schmidhuber 1997 and Arjovsky et al. 2016): ten
  symbols out of eight, blanks, a delimiter, and in the last ten steps the ten symbols recalled
  in order; scored on the recalled symbols only (chance: 1/8).
- ``digits-rows`` and ``digits-pixels``: images read row by row (28 steps of 28 values for
  MNIST) or pixel by pixel (784 steps of one value), the class at the end (Le et al. 2015).
"""
from __future__ import annotations

import torch

PROBLEMS = ("adding", "copy", "digits-rows", "digits-pixels")
SYMBOLS, RECALL = 8, 10            # the copy problem: an alphabet of 8 symbols, 10 of them recalled
BLANK, DELIMITER = 0, SYMBOLS + 1   # its other two inputs (the symbols are 1..8)


def adding(n: int, length: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x [length, n, 2], target [n])``: channel 0 the values, channel 1 the two markers (one in
    each half: steps [0, length/2) and [length/2, length))."""
    if length < 2:
        raise ValueError(f"the adding problem needs at least 2 steps (one marker in each half), got {length}")
    values = torch.rand(length, n, generator=generator)
    half = length // 2
    first = torch.randint(0, half, (n,), generator=generator)
    second = torch.randint(half, length, (n,), generator=generator)
    markers = torch.zeros(length, n)
    columns = torch.arange(n)
    markers[first, columns] = 1.0
    markers[second, columns] = 1.0
    return torch.stack([values, markers], dim=-1), values[first, columns] + values[second, columns]


def copy_sequences(n: int, length: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x [length, n, SYMBOLS + 2] one-hot, target [RECALL, n] symbol ids 1..SYMBOLS)``: the
    RECALL symbols, ``length - 2 RECALL - 1`` blanks, the delimiter, RECALL blanks; the answer is
    due in the last RECALL steps."""
    if length < 2 * RECALL + 1:
        raise ValueError(f"the copy problem needs at least {2 * RECALL + 1} steps ({RECALL} symbols, the "
                         f"delimiter, {RECALL} steps to recall them), got {length}")
    symbols = torch.randint(1, SYMBOLS + 1, (RECALL, n), generator=generator)
    ids = torch.full((length, n), BLANK, dtype=torch.long)
    ids[:RECALL] = symbols
    ids[length - RECALL - 1] = DELIMITER
    return torch.nn.functional.one_hot(ids, SYMBOLS + 2).float(), symbols


def digit_sequences(images: torch.Tensor, pixels: bool) -> torch.Tensor:
    """Images ``uint8 [N, H, W]`` as sequences in [0, 1]: ``[H, N, W]`` row by row, or ``[H W, N, 1]``
    pixel by pixel (rows in order, each left to right)."""
    x = images.float() / 255.0
    if pixels:
        return x.flatten(1).t().unsqueeze(-1)
    return x.permute(1, 0, 2)


def generate(problem: str, n: int, length: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` examples of a generated problem (``adding`` or ``copy``) from ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    if problem == "adding":
        return adding(n, length, generator)
    if problem == "copy":
        return copy_sequences(n, length, generator)
    raise ValueError(f"{problem!r} is not generated; generated problems: adding, copy")
