"""rnnkit's classifier as an aeon estimator: aeon's own estimator checks, scikit-learn's pipeline and
grid search, and aeon's layout turned into rnnkit's.  Run by `make test-ecosystem` (aeon is an
optional extra), on data the tests make."""
import numpy as np
from aeon.testing.estimator_checking import check_estimator
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

import rnnkit
from rnnkit.integrations.aeon import RNNClassifier

# check -> why it is left out
EXCLUDED = {"check_classifier_against_expected_results":
            "compares with probabilities aeon stores for its own classifiers on data bundled in aeon; none are "
            "stored for RNNClassifier (aeon would skip it), and rnnkit never trains on aeon's data"}
TINY = RNNClassifier._get_test_params()


def made_data(n=24, channels=2, steps=30, seed=0):
    """aeon's layout, [cases, channels, steps]: class 1 rises, class 0 does not."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, channels, steps))
    y = np.array(["flat", "rising"] * (n // 2))
    X[y == "rising"] += np.linspace(0, 3, steps)
    return X, y


def test_aeons_estimator_checks_pass():
    results = check_estimator(RNNClassifier, raise_exceptions=True, checks_to_exclude=list(EXCLUDED))
    assert len(results) >= 25 and set(results.values()) == {"PASSED"}, results


def test_aeons_layout_is_rnnkits_transposed():
    X, y = made_data()
    clf = RNNClassifier(random_state=3, **TINY).fit(X, y)
    model = rnnkit.train("classify", (X.transpose(0, 2, 1), ["0" if v == "flat" else "1" for v in y]), seed=3,
                         hidden=4, epochs=2, batch_size=4, valid_fraction=0.0)
    assert np.array_equal(clf.predict_proba(X[:6]), model.predict(X[:6].transpose(0, 2, 1))["probabilities"])
    assert set(clf.predict(X)) <= {"flat", "rising"}
    ragged = [case[:, : 20 + k % 7] for k, case in enumerate(X)]            # unequal lengths: a list
    assert clf.fit(ragged, y).predict_proba(ragged).shape == (len(y), 2)


def test_in_a_pipeline_and_a_grid_search():
    X, y = made_data(n=16)
    search = GridSearchCV(Pipeline([("rnn", RNNClassifier(random_state=0, **TINY))]),
                          {"rnn__hidden": [4, 6]}, cv=2).fit(X, y)
    assert search.best_params_["rnn__hidden"] in (4, 6)
    assert search.predict(X).shape == (16,) and 0 <= search.score(X, y) <= 1
