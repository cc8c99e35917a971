"""The classify application: text, recordings and clips, many-to-one."""
from rnnkit.tasks.classification.task import ClassificationTask

__all__ = ["ClassificationTask"]
