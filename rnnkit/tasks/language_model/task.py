"""Language modelling (aligned many-to-many, one step ahead): characters or words of a text,
streamed with truncated BPTT."""
from __future__ import annotations

import warnings

import torch

from rnnkit.data import StreamBatches, Vocab, read_text, tokenizer_for
from rnnkit.errors import RnnkitError
from rnnkit.models import LanguageModel
from rnnkit.tasks.base import Prepared, Task, load_weights, parameters, write_export
from rnnkit.tasks.language_model import python
from rnnkit.tasks.language_model.config import DEFAULT_BPTT, LanguageModelConfig
from rnnkit.tasks.language_model.metrics import format_lm_metrics, lm_metrics
from rnnkit.tasks.language_model.verbs import VERBS
from rnnkit.tasks.options import held_out, test_data
from rnnkit.training import distributed

EVAL_WINDOW = 256


class LanguageModelTask(Task):
    name, noun = "lm", "language model"
    help = "train a character- or word-level language model on a text file"
    description = ("Train a recurrent language model (predict the next token) with truncated backpropagation "
                   "through time, and save it in a run directory.")
    Config, model_class = LanguageModelConfig, python.TrainedLanguageModel
    verbs = VERBS
    data_files = staticmethod(python.data_files)
    test_options = {"valid": "test"}
    exports = "a language model gives step.onnx: one token per stream and the state in, the logits of the next token and the next state out"
    files = ("vocab.json",)
    show_perplexity = True
    evaluate_options = (test_data("text"),)
    evaluate_help = "a language model gives loss, perplexity and bits per character (--test: text)"

    def prepare(self, run) -> Prepared:
        c = self.config
        bptt = c.bptt or DEFAULT_BPTT[c.level]
        tokenizer = tokenizer_for(c.level)
        text = read_text(c.text)
        train_tokens, valid_tokens, valid_text = self._split(tokenizer.tokenize(text), tokenizer, bptt)
        vocab = (Vocab.load(run.path / "vocab.json") if run is not None else
                 Vocab.build(train_tokens, min_freq=c.min_freq, max_size=c.max_vocab))
        ids = torch.tensor(vocab.encode(train_tokens))
        world = distributed.current()
        if world.size > 1:   # each rank its own streams (the state carries between a stream's windows): with N
            part = (len(ids) - 1) // world.size   # ranks the streams of one process with N x --batch-size
            ids = ids[world.rank * part : (world.rank + 1) * part + 1]
        batches = StreamBatches(ids, c.batch_size, bptt, name=c.text)
        valid = None
        if valid_tokens:
            ids = torch.tensor(vocab.encode(valid_tokens))
            streams = StreamBatches(ids, min(c.eval_batch_size, max(1, len(ids) // 64)), EVAL_WINDOW,
                                    require_window=False, name=c.valid or f"{c.text} (validation part)")
            valid = (streams, tokenizer.count_chars(valid_text) / len(valid_tokens))
        if c.tie_weights and (c.embedding or c.hidden) != c.hidden:
            raise RnnkitError(f"--tie-weights needs --embedding equal to --hidden ({c.embedding} != {c.hidden})")
        model = LanguageModel(len(vocab), embedding_dim=c.embedding or c.hidden, tie_weights=c.tie_weights,
                              init_range=c.init_range, vocab=vocab, tokenizer=tokenizer, **c.recurrent_options())
        description = (f"{c.level}-level {c.cell.upper()} language model: "
                       f"{parameters(model)}, vocabulary {len(vocab):,}, "
                       f"{batches.num_tokens:,} training tokens in {len(batches)} windows of {bptt} x {c.batch_size}")
        return Prepared(model, lambda epoch: batches, valid, {"level": c.level}, description, sharded=True)

    def _split(self, tokens: list[str], tokenizer, bptt: int):
        """Training and validation tokens, and the text the validation tokens cover."""
        c = self.config
        if c.valid:
            valid_text = read_text(c.valid)
            return tokens, tokenizer.tokenize(valid_text), valid_text
        fraction = held_out(c.valid_fraction)
        cut = int(len(tokens) * (1 - fraction))
        if fraction == 0:
            return tokens, [], ""
        if c.valid_fraction is None and len(tokens) - cut < bptt + 1:
            warnings.warn(f"{c.text}: too short to keep 10% for validation; training without validation")
            return tokens, [], ""
        return tokens[:cut], tokens[cut:], tokenizer.detokenize(tokens[cut:])

    def loss(self, model, batch, carry, step):
        return model.loss(*batch, carry)

    def validate(self, model, valid) -> dict:
        streams, chars_per_token = valid
        nats, count = model.stream_nats(streams)
        return lm_metrics(nats, count, round(count * chars_per_token))

    def result(self, run, prepared, summary):
        if prepared.valid is None:
            return "no validation data", []
        return f"best validation loss {summary['best_valid']:.4f} nats/token", []

    def save(self, run, prepared) -> None:
        prepared.model.vocab.save(run.path / "vocab.json")

    @classmethod
    def load(cls, run, config, device):
        level = config["data"]["level"]
        return load_weights(cls, run, config, device, vocab=Vocab.load(run.path / "vocab.json"),
                            tokenizer=tokenizer_for(level))

    @classmethod
    def export(cls, model, folder):
        """``step.onnx``: one token per stream and the state in, the next token's logits and the
        next state out (``rnnkit.tasks.language_model.export.language_model_step``)."""
        from rnnkit.models.onnx import STATE_NAMES
        from rnnkit.tasks.language_model.export import language_model_step

        rnn = model.rnn
        states = list(STATE_NAMES[: rnn.cell.num_states])
        return write_export(folder, {"step.onnx": language_model_step(model)}, {
            "task": cls.name, "level": model.run_config["data"]["level"], "vocabulary": model.vocab.tokens,
            "unknown": "<unk>", "step": {"inputs": ["token", *states], "outputs": ["logits", *(f"{s}_next" for s in states)],
                                         "state_shape": [rnn.num_layers, "batch", rnn.hidden_size],
                                         "initial_state": "zeros"}})

    @classmethod
    def evaluate(cls, model, args):
        """Loss, perplexity and bits per character of ``args.test``."""
        text = read_text(args.test)
        tokens = model.tokenizer.tokenize(text)
        unknown = model.vocab.unknown(tokens)
        if unknown:
            warnings.warn(f"{args.test}: {len(unknown)} token type(s) outside the vocabulary are scored as <unk>")
        batches = StreamBatches(torch.tensor(model.vocab.encode(tokens)), 1, EVAL_WINDOW, name=args.test,
                                require_window=False)
        nats, count = model.stream_nats(batches)
        return lm_metrics(nats, count, round(count * model.tokenizer.count_chars(text) / len(tokens))), []

    format_metrics = staticmethod(format_lm_metrics)
