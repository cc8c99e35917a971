"""The trainer and what it needs: schedules, checkpoints, run directories, metrics, plots."""
from rnnkit.training.metrics import (bits_per_char, classification_metrics, confusion_matrix,
                                     format_classification_metrics, format_lm_metrics,
                                     format_tagging_metrics, lm_metrics, perplexity,
                                     tagging_metrics)
from rnnkit.training.plots import plot_confusion, plot_loss
from rnnkit.training.rundir import RunDir
from rnnkit.training.schedule import Schedule
from rnnkit.training.teacher_forcing import TeacherForcing
from rnnkit.training.trainer import Trainer, TrainingDiverged, TrainingInterrupted, TrainOptions

__all__ = ["RunDir", "Schedule", "TeacherForcing", "Trainer", "TrainOptions", "TrainingDiverged",
           "TrainingInterrupted", "bits_per_char", "classification_metrics", "confusion_matrix",
           "format_classification_metrics", "format_lm_metrics", "format_tagging_metrics",
           "lm_metrics", "perplexity", "plot_confusion",
           "plot_loss", "tagging_metrics"]
