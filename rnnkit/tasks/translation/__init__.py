"""The translate application: an encoder-decoder with attention over parallel text."""
from rnnkit.tasks.translation.task import TranslationTask

__all__ = ["TranslationTask"]
