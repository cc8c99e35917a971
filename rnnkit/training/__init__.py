"""The trainer and what it needs: schedules, checkpoints, run directories, metrics."""
from rnnkit.training.metrics import bits_per_char, cross_entropy_sum, format_lm_metrics, lm_metrics, perplexity
from rnnkit.training.rundir import RunDir, load
from rnnkit.training.schedule import Schedule
from rnnkit.training.trainer import Trainer, TrainingDiverged, TrainingInterrupted, TrainOptions

__all__ = ["RunDir", "Schedule", "Trainer", "TrainOptions", "TrainingDiverged", "TrainingInterrupted",
           "bits_per_char", "cross_entropy_sum", "format_lm_metrics", "lm_metrics", "load", "perplexity"]
