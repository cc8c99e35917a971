"""``rnnkit compose RUN_DIR``: a melody from a starting note, as MIDI (and a piano roll)."""
from __future__ import annotations

import warnings

from rnnkit.data.music import note_name, parse_key, parse_meter, parse_pitch, write_midi
from rnnkit.tasks.base import Output, Verb, load
from rnnkit.tasks.melody.compose import composed
from rnnkit.tasks.melody.plots import plot_piano_roll
from rnnkit.tasks.options import DEVICE, Option, non_negative_float, output_file, positive_int, run_dir_argument, top_p


def midi_file(text: str) -> str:
    """``--output``: a MIDI file to write, named so (``.mid`` or ``.midi``)."""
    if not text.lower().endswith((".mid", ".midi")):
        raise ValueError(f"{text!r} does not end in .mid or .midi; compose writes a MIDI file")
    return output_file(text)


def note_list(text: str) -> list[int]:
    """``--start``: one or more notes with their octaves (``C4``, ``"C4 E4 G4"``, ``C4,E4``)."""
    names = text.replace(",", " ").split()
    if not names:
        raise ValueError("give a note with its octave, e.g. C4")
    return [parse_pitch(name) for name in names]


def _compose(args) -> Output:
    model = load(args.run_dir, args.device, task="melody")
    start = [p for group in args.start for p in group]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        melody, said = composed(model, start, args.notes, sharps=args.key, meter=args.meter,
                                temperature=args.temperature, top_p=args.top_p, seed=args.seed)
    meter = args.meter or model.run_config["data"]["meter"]
    write_midi(melody, args.output, sharps=args.key, meter=meter)
    out = Output(" ".join(f"{note_name(n.pitch)}:{n.duration}" for n in melody) + "\n",
                 [*said, *(str(w.message) for w in caught), f"MIDI file: {args.output}"])
    if args.plot:
        plot_piano_roll([(n.pitch, n.duration) for n in melody], args.plot,
                        f"{len(start)} start note(s), {args.notes} notes, metre {meter or 'none'}", first=len(start))
        out.notes.append(f"piano roll: {args.plot}")
    return out


COMPOSE = Verb(
    "compose", "compose a melody from a starting note with a trained melody model",
    "Write a melody that begins with the --start note(s) (their durations are drawn) and has --notes sounding notes "
    "in all (the end of the melody is held back until then; rests do not count), as a MIDI file (--output, "
    "through music21), and print it on stdout as one line of NOTE:DURATION, durations in quarter notes (C4:1 "
    "E4:1/2 rest:1/2 ...). Each note's pitch is drawn first, then its duration given the pitch, with --temperature "
    "and --top-p. A start note outside the pitches the model learnt is moved by octaves into them (with a "
    "warning) and the melody moved back.",
    (run_dir_argument("melody"),
     Option("the first note(s), with octave: C4, F#3, Bb5 (several: --start C4 E4 G4)", flags=("--start",),
            dest="start", type=note_list, nargs="+", required=True, metavar="NOTE"),
     Option("the key the melody is written in: G, D major, e minor, Bb, f#m (its key signature counts; default C)",
            flags=("--key",), dest="key", type=parse_key, default=0, metavar="KEY"),
     Option("the metre, e.g. 3/4 or 6/8, one the model learnt (default: the commonest in training)",
            flags=("--meter",), dest="meter", type=parse_meter, metavar="M"),
     Option("sounding notes in the melody, the start notes included", flags=("--notes",), dest="notes",
            type=positive_int, default=32, metavar="N"),
     Option("softmax temperature; 0 always takes the most likely pitch and duration", flags=("--temperature",),
            dest="temperature", type=non_negative_float, default=1.0),
     Option("draw only from the smallest set of most likely choices with probability >= P (1: no filtering)",
            flags=("--top-p",), dest="top_p", type=top_p, default=0.95, metavar="P"),
     Option("random seed", flags=("--seed",), dest="seed", type=int, default=0),
     Option("the MIDI file to write (.mid or .midi)", flags=("--output",), dest="output", type=midi_file, required=True,
            metavar="FILE.mid"),
     Option("draw a piano roll into FILE.png", flags=("--plot",), dest="plot", type=output_file, metavar="FILE"),
     DEVICE),
    _compose)
VERBS = (COMPOSE,)
