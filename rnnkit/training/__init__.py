"""The trainer and what it needs: schedules, checkpoints, run directories, and the metrics and
plots that several applications share."""
from rnnkit.training.metrics import (classification_metrics, confusion_matrix, format_classification_metrics,
                                     perplexity)
from rnnkit.training.plots import plot_confusion, plot_loss
from rnnkit.training.rundir import RunDir
from rnnkit.training.schedule import Schedule
from rnnkit.training.teacher_forcing import TeacherForcing
from rnnkit.training.trainer import Trainer, TrainingDiverged, TrainingInterrupted, TrainOptions

__all__ = ["RunDir", "Schedule", "TeacherForcing", "Trainer", "TrainOptions", "TrainingDiverged",
           "TrainingInterrupted", "classification_metrics", "confusion_matrix", "format_classification_metrics",
           "perplexity", "plot_confusion", "plot_loss"]
