"""The lecture structures as models; each generative model exposes ``step()``."""
from rnnkit.models.language_model import LanguageModel

__all__ = ["LanguageModel"]
