"""The tag application: one part-of-speech tag per word."""
from rnnkit.tasks.tagging.task import TaggingTask

__all__ = ["TaggingTask"]
