"""``rnnkit gradients``: how far back the gradient of a loss reaches, in a fresh cell or a trained run."""
from __future__ import annotations

import copy
import sys
from pathlib import Path

from rnnkit.analysis.gradient_flow import FRESH

DESCRIPTION = (
    "Measure the gradient flow through time of a freshly initialised cell (--cell) or of the recurrent layer of a "
    "trained run (RUN_DIR; a translation model's encoder) for a loss at the last of T steps, L = 0.5 ||h_T||^2 "
    "(batch mean). Draws ||dL/dh_k|| for every step k, layer and direction, and the largest singular value of the "
    "Jacobian product dh_T/dh_k beside the lecture's bound (||W_hh|| max|f'|)^(T-k) for Elman cells; prints one "
    "line, `gradient ratio R`, with R = ||dL/dh_1|| / ||dL/dh_T|| for the top layer's forward direction (batch-mean "
    "norms): far below 1, the first steps hardly learn from the loss (vanishing); far above, exploding. "
    f"A fresh cell: one layer of {FRESH['hidden']} units, inputs of {FRESH['inputs']} values from N(0, 1), batch "
    f"{FRESH['batch']}, float64, torch.nn's initialisation except the LSTMs' forget-gate bias, 1; irnn is the ReLU "
    "RNN with identity recurrent weights and zero biases (Le et al. 2015). A run: its layer in float64, fed inputs "
    "of its own problem where the task generates them (rnnkit longrange adding and copy), the embeddings of random "
    "tokens where it reads tokens, else N(0, 1) values.")


def add_parser(sub) -> None:
    from rnnkit.cli.render import add_options
    from rnnkit.tasks.config import cell_choices
    from rnnkit.tasks.options import Option, output_file, positive_int

    p = sub.add_parser("gradients", help="measure vanishing and exploding gradients over time", description=DESCRIPTION)
    cells = (*cell_choices(), "irnn")
    add_options(p, [
        Option("a trained run (instead of --cell)", flags=("run_dir",), dest="run_dir", nargs="?", metavar="RUN_DIR"),
        Option(f"a fresh cell: {', '.join(cells)}", flags=("--cell",), dest="cell", choices=cells, metavar="NAME"),
        Option("steps", flags=("--length",), dest="length", type=positive_int, required=True, metavar="T"),
        Option("the plot (default: gradient-flow.png here for a cell, plots/gradient-flow-T.png in RUN_DIR)",
               flags=("--output",), dest="output", type=output_file, metavar="FILE.png"),
        Option("seed of the initialisation and the inputs", flags=("--seed",), dest="seed", type=int, default=0)])
    p.set_defaults(run=run)


def run(args) -> None:
    from rnnkit.analysis import elman_bound, gradient_flow, jacobian_norms
    from rnnkit.analysis.gradient_flow import fresh_inputs, fresh_layer, model_inputs, recurrent_layer_of
    from rnnkit.analysis.plots import plot_gradient_flow
    from rnnkit.errors import RnnkitError
    from rnnkit.tasks import TASKS, load

    if (args.run_dir is None) == (args.cell is None):
        raise RnnkitError("give either --cell NAME (a fresh cell) or RUN_DIR (a trained run), not both or neither")
    if args.cell:
        layer, x = fresh_layer(args.cell, args.seed), fresh_inputs(args.length, args.seed)
        what, output = f"fresh {args.cell}", Path(args.output or "gradient-flow.png")
    else:
        model = load(args.run_dir, "cpu")
        layer = copy.deepcopy(recurrent_layer_of(model)).double().eval()
        given = TASKS[model.run_config["task"]].example_inputs(model, args.length, FRESH["batch"], args.seed)
        x = model_inputs(model, layer, args.length, args.seed) if given is None else given.double()
        what = f"{Path(args.run_dir).name} ({layer.cell.name}, {layer.num_layers} layer(s))"
        output = Path(args.output or Path(args.run_dir) / "plots" / f"gradient-flow-{args.length}.png")
    flow = gradient_flow(layer, x)
    row = flow.top_forward
    plot_gradient_flow(flow, jacobian_norms(layer, x), elman_bound(layer, args.length), output,
                       f"{what}, T = {args.length}: ||dL/dh_1|| / ||dL/dh_T|| = {flow.ratio(row):.3e}")
    print(f"plot: {output}", file=sys.stderr)
    print(f"gradient ratio {flow.ratio(row):.3e}")
