"""The caption application: images in, sentences out, with attention over the image."""
from rnnkit.tasks.captioning.task import CaptionTask

__all__ = ["CaptionTask"]
