"""The lecture structures as models; each generative model exposes ``step()``.

``MODELS`` maps the task name stored in a run directory's config.json to its model class.
"""
from rnnkit.models.language_model import LanguageModel

MODELS = {"lm": LanguageModel}

__all__ = ["MODELS", "LanguageModel"]
