"""The lm application: a character or word language model, with sampling and completion."""
from rnnkit.tasks.language_model.task import LanguageModelTask

__all__ = ["LanguageModelTask"]
