"""The applications: one task module each, and the line that registers it.

``rnnkit.tasks.register(TaskClass)`` adds an application (its ``rnnkit train NAME``, its verbs,
``rnnkit evaluate`` and ``rnnkit.load`` of its runs); see ``rnnkit.tasks.base`` for the contract.
"""
from rnnkit.tasks.base import TASKS, Output, Prepared, Task, Training, Verb, get_task, load, load_weights, register
from rnnkit.tasks.captioning import CaptionTask
from rnnkit.tasks.classification import ClassificationTask
from rnnkit.tasks.config import RecurrentConfig, TrainingConfig
from rnnkit.tasks.forecasting import ForecastTask
from rnnkit.tasks.language_model import LanguageModelTask
from rnnkit.tasks.longrange import LongRangeTask
from rnnkit.tasks.melody import MelodyTask
from rnnkit.tasks.options import Option, like, option
from rnnkit.tasks.tagging import TaggingTask
from rnnkit.tasks.tracking import TrackTask
from rnnkit.tasks.translation import TranslationTask

for _task in (LanguageModelTask, ClassificationTask, TaggingTask, TranslationTask, ForecastTask, CaptionTask,
              TrackTask, LongRangeTask, MelodyTask):
    register(_task)

__all__ = ["TASKS", "CaptionTask", "ClassificationTask", "ForecastTask", "LanguageModelTask", "LongRangeTask",
           "MelodyTask", "Option", "Output", "Prepared", "RecurrentConfig", "TaggingTask", "Task", "TrackTask",
           "Training", "TrainingConfig", "TranslationTask", "Verb", "get_task", "like", "load", "load_weights",
           "option", "register"]
