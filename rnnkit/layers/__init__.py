"""nn.Modules: the torch.nn-compatible recurrent layers and step cells, ``Trace``, pooling of a
sequence's states, word features from characters, attention, and the front end and head for
sequences of vectors."""
from rnnkit.layers.attention import SCORES, Attention
from rnnkit.layers.cells import GRUCell, LSTMCell, RNNCell
from rnnkit.layers.char_embedding import CharWordEncoder
from rnnkit.layers.pooling import POOLINGS, AttentionPooling, Pooling, step_mask
from rnnkit.layers.recurrent import GRU, LSTM, RNN, Recurrent, RNNBase
from rnnkit.layers.trace import Trace
from rnnkit.layers.vectors import RealHead, VectorInput

__all__ = ["GRU", "POOLINGS", "SCORES", "Attention", "AttentionPooling", "CharWordEncoder", "GRUCell", "LSTM",
           "LSTMCell", "Pooling", "RNN", "RNNBase", "RNNCell", "RealHead", "Recurrent", "Trace", "VectorInput",
           "step_mask"]
