"""The track application: where an object in clips goes next."""
from rnnkit.tasks.tracking.task import TrackTask

__all__ = ["TrackTask"]
