"""nn.Modules: the torch.nn-compatible recurrent layers and step cells, and ``Trace``."""
from rnnkit.layers.cells import GRUCell, LSTMCell, RNNCell
from rnnkit.layers.recurrent import GRU, LSTM, RNN, RNNBase
from rnnkit.layers.trace import Trace

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "Trace"]
