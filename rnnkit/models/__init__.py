"""The lecture structures as models; each generative model exposes ``step()``.

``MODELS`` maps the task name stored in a run directory's config.json to its model class.
"""
from rnnkit.models.classifier import SequenceClassifier
from rnnkit.models.language_model import LanguageModel
from rnnkit.models.seq2seq import DecoderState, Memory, Seq2Seq
from rnnkit.models.tagger import SequenceTagger, TaggerBatch

MODELS = {"lm": LanguageModel, "classify": SequenceClassifier, "tag": SequenceTagger, "translate": Seq2Seq}

__all__ = ["MODELS", "DecoderState", "LanguageModel", "Memory", "Seq2Seq", "SequenceClassifier", "SequenceTagger",
           "TaggerBatch"]
