"""``rnnkit classify RUN_DIR``: label texts, recordings or clips with a trained classifier."""
from __future__ import annotations

import warnings

from rnnkit.data.clips import pad_clips
from rnnkit.errors import RnnkitError
from rnnkit.tasks.base import Output, Verb, load
from rnnkit.tasks.classification import clips, recordings, text
from rnnkit.tasks.options import DEVICE, Option, positive_int, run_dir_argument


def _classify(args) -> Output:
    model = load(args.run_dir, args.device, task="classify")
    if args.explain and (model.clips or model.features):
        raise RnnkitError(f"--explain shows the attention over the words of a text; {args.run_dir} classifies "
                          f"{'clips' if model.clips else 'recordings'}")
    if model.clips:
        if not args.inputs:
            raise RnnkitError("give the clips to classify: CLIP... (folders of frames or .npy files)")
        folder = clips.folder_of(model, ".")
        probabilities, _ = model.classify([folder.read(path) for path in args.inputs], pad_clips, args.batch_size)
        p, best = probabilities.max(-1)
        return Output("".join(f"{path}\t{model.labels[int(k)]}\t{float(q):.4f}\n"
                              for path, q, k in zip(args.inputs, p, best)))
    if len(args.inputs) > 1:
        raise RnnkitError(f"give one input file (or - for standard input), not {len(args.inputs)}; several inputs "
                          "are for a classifier of clips")
    args.input = args.inputs[0] if args.inputs else "-"
    if model.features:
        cases = recordings.read_for(model, args.input, labelled=False).cases
        out = model.predict(cases, batch_size=args.batch_size)
        return Output("".join(f"{label}\t{p:.4f}\n" for label, p in zip(out["label"], out["probability"])))
    if args.explain and model.pooling.how != "attention":
        raise RnnkitError(f"--explain needs a model trained with --pooling attention; {args.run_dir} "
                          f"uses {model.pooling.how!r} pooling")
    texts = text.input_texts(model, args.input)
    if texts[-1:] == [""]:
        texts.pop()   # the newline that ends the last line does not start another
    keep = [i for i, t in enumerate(texts) if model.tokenizer.tokenize(t)]
    if len(keep) < len(texts):
        warnings.warn(f"{args.input}: {len(texts) - len(keep)} empty line(s) give empty output lines")
    lines = [""] * len(texts)
    if keep:
        out = model.predict([texts[i] for i in keep], batch_size=args.batch_size, explain=args.explain)
        for j, i in enumerate(keep):
            lines[i] = f"{out['label'][j]}\t{out['probability'][j]:.4f}"
            if args.explain:
                lines[i] += "\t" + " ".join(f"{w}:{a:.3f}" for w, a in out["explanation"][j])
    return Output("".join(line + "\n" for line in lines))


CLASSIFY = Verb(
    "classify", "label texts with a trained classifier",
    "Print LABEL<TAB>PROBABILITY for each input line (an empty line gives an empty line). Input is plain text, one "
    "example per line, or TSV laid out as in training when the file name ends in .tsv (one output line per "
    "example). A classifier of recordings reads a .ts or long-form .csv file and prints one line per case, in "
    "order. A classifier of clips reads each CLIP (a folder of frames or a .npy file) and prints "
    "PATH<TAB>LABEL<TAB>PROBABILITY per clip, in order.",
    (run_dir_argument("classify"),
     Option("input file, or - for standard input (default); for a classifier of clips, the clips", flags=("inputs",),
            dest="inputs", nargs="*", metavar="FILE"),
     Option("add a third field: each word with its attention weight (attention pooling only)",
            flags=("--explain",), dest="explain", flag=True, default=False),
     Option("examples per batch", flags=("--batch-size",), dest="batch_size", type=positive_int, default=64),
     DEVICE),
    _classify)
