"""rnnkit's classifier of recordings as an aeon estimator (``pip install rnnkit[aeon]``).

aeon lays a collection out as ``[cases, channels, steps]`` (or a list of ``[channels, steps]``
arrays of different lengths); rnnkit as ``[cases, steps, channels]``.  ``RNNClassifier`` turns
one into the other and trains ``rnnkit.train("classify", ...)`` with its parameters as the
options, so everything the command line resolves from the data (the cell, size, frame, batch
and length of training) is resolved the same way where a parameter is left at None.
"""
from __future__ import annotations

import numpy as np
from aeon.classification.base import BaseClassifier

import rnnkit

__all__ = ["RNNClassifier"]


class RNNClassifier(BaseClassifier):
    """A recurrent classifier of time series (rnnkit's recordings classifier).

    Parameters
    ----------
    cell : str or None
        "gru", "lstm", "rnn" or any registered cell; None: rnnkit's default for recordings.
    hidden : int or None
        Units per layer and direction; None: from the data.
    layers : int or None
        Stacked recurrent layers; None: 1.
    epochs : int or None
        Passes over the training data; None: from the data, with early stopping.
    batch_size : int or None
        Cases per batch; None: about an eighth of the training set.
    max_time : float or None
        Wall-clock budget of training in seconds.
    options : dict or None
        Any other option of ``rnnkit train classify``, in snake_case (``{"pooling": "max"}``).
    random_state : int, RandomState or None
        Seed of the run (None: 0, so that a fit is repeatable).
    """

    _tags = {
        "capability:multivariate": True,
        "capability:unequal_length": True,
        "capability:missing_values": True,
        "X_inner_type": ["np-list", "numpy3D"],
        "algorithm_type": "deeplearning",
        "non_deterministic": False,
        "cant_pickle": False,
        "python_dependencies": "torch",
    }

    def __init__(self, cell=None, hidden=None, layers=None, epochs=None, batch_size=None, max_time=None,
                 options=None, random_state=None):
        self.cell = cell
        self.hidden = hidden
        self.layers = layers
        self.epochs = epochs
        self.batch_size = batch_size
        self.max_time = max_time
        self.options = options
        self.random_state = random_state
        super().__init__()

    def _fit(self, X, y):
        given = {"cell": self.cell, "hidden": self.hidden, "layers": self.layers, "epochs": self.epochs,
                 "batch_size": self.batch_size, "max_time": self.max_time}
        options = {**{k: v for k, v in given.items() if v is not None}, **(self.options or {})}
        labels = [str(self._class_dictionary[label]) for label in y]     # class indices: numbers sort as numbers
        self.model_ = rnnkit.train("classify", (recordings(X), labels), seed=seed_of(self.random_state), **options)
        return self

    def _predict_proba(self, X) -> np.ndarray:
        probabilities = self.model_.predict(recordings(X))["probabilities"]
        out = np.zeros((len(probabilities), self.n_classes_))
        out[:, [int(label) for label in self.model_.labels]] = probabilities
        return out

    def _predict(self, X) -> np.ndarray:
        return self.classes_[self._predict_proba(X).argmax(1)]

    @classmethod
    def _get_test_params(cls, parameter_set: str = "default") -> dict | list[dict]:
        """Tiny settings, for aeon's estimator checks."""
        return {"hidden": 4, "epochs": 2, "batch_size": 4, "options": {"valid_fraction": 0.0}}


def recordings(X) -> list[np.ndarray]:
    """aeon's cases ``[channels, steps]`` as rnnkit's ``[steps, channels]``."""
    return [np.asarray(case, dtype=np.float64).T for case in X]


def seed_of(random_state) -> int:
    """An int seed from scikit-learn's ``random_state`` (an int, a RandomState or None)."""
    if random_state is None:
        return 0
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2 ** 31 - 1))
    return int(random_state)
