"""The melody application: a model of note events that composes from a starting note."""
from rnnkit.tasks.melody.task import MelodyTask

__all__ = ["MelodyTask"]
