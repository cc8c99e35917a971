"""The lecture structures as models; each generative model exposes ``step()``."""
from rnnkit.models.captioner import Captioner
from rnnkit.models.classifier import SequenceClassifier
from rnnkit.models.forecaster import Forecaster
from rnnkit.models.language_model import LanguageModel
from rnnkit.models.melody import MelodyBatch, MelodyModel
from rnnkit.models.readout import SequenceReadout
from rnnkit.models.seq2seq import DecoderState, Memory, Seq2Seq
from rnnkit.models.tagger import SequenceTagger, TaggerBatch
from rnnkit.models.tracker import Tracker

__all__ = ["Captioner", "DecoderState", "Forecaster", "LanguageModel", "MelodyBatch", "MelodyModel", "Memory",
           "Seq2Seq", "SequenceClassifier", "SequenceReadout", "SequenceTagger", "TaggerBatch", "Tracker"]
