"""``rnnkit track RUN_DIR CLIP...``: where the object in each clip goes next, as CSV."""
from __future__ import annotations

from rnnkit.data.clips import ClipFolder
from rnnkit.data.positions import FrameCoordinates
from rnnkit.tasks.base import Output, Verb, load
from rnnkit.tasks.options import DEVICE, Option, run_dir_argument
from rnnkit.tasks.tracking.config import BATCH
from rnnkit.tasks.tracking.plots import plot_path, plot_trajectory


def _track(args) -> Output:
    model = load(args.run_dir, args.device, task="track")
    folder = ClipFolder(".", tuple(model.config["image_size"]), model.config["image_channels"])
    clips = [folder.read(name) for name in args.clips]
    paths = model.paths(clips, args.batch_size)
    lines, out = ["clip,frame,x,y"], Output()
    for k, (name, clip, path) in enumerate(zip(args.clips, clips, paths), 1):
        where = FrameCoordinates(folder.original_size(name), folder.size)
        ahead = where.from_unit(path[-1, 1:])
        lines += [f"{name},{len(clip) + j},{x:.2f},{y:.2f}" for j, (x, y) in enumerate(ahead.tolist())]
        if args.plot:
            picture = plot_path(args.plot, len(args.clips), k, name)
            plot_trajectory(clip[-1], where.unit_to_frame(path[:, 0]), where.unit_to_frame(path[-1, 1:]), picture,
                            f"{name}: the next {model.horizon} positions")
            out.notes.append(f"path plot: {picture}")
    out.text = "\n".join(lines) + "\n"
    return out


VERBS = (
    Verb("track", "predict where the object in each clip goes next",
         "Predict the positions of the object in the K frames after the end of each CLIP (a folder of frame images "
         "or a .npy array) with a run of `rnnkit train track`. Prints CSV in the training layout, clip,frame,x,y, "
         "with frames numbered on from the clip's last and x, y in pixels of its frames. With --plot, also draws "
         "each clip's last frame with the path seen so far and the predicted one.",
         (run_dir_argument("track"),
          Option("clip(s): folders of frames or .npy files", flags=("clips",), dest="clips", nargs="+", metavar="CLIP"),
          Option("draw each clip's last frame with the path so far and the predicted one: into PATH itself "
                 "where it ends in .png and one clip is given, else one PNG per clip into the folder PATH",
                 flags=("--plot",), dest="plot", metavar="PATH"),
          BATCH, DEVICE),
         _track),)
