"""ONNX export: onnxruntime against rnnkit (``benchmarks/export.py``)."""
from render import fixed, renders, table, times
from store import load

RUNS = ("_24a63cf", "")          # the first measurement (restored), then the rerun at 3c21daa
MODELS = {
    "generation": ("character LM (65 symbols, 2 x 512 LSTM), one generation step, one stream, 1,000 steps fed back",
                   "ms_per_step", 3, "rnnkit model.step()", "`model.step()`, the lean step",
                   "onnxruntime step.onnx", "`step.onnx`"),
    "classifier": ("text classifier (vocabulary 16,000, embedding 300, BiLSTM 256, attention pooling), a batch of "
                   "64 sentences of 5-40 tokens, padded", "ms_per_batch", 1, "rnnkit model(tokens, lengths)",
                   "`model(tokens, lengths)`, no autograd", "onnxruntime classifier.onnx", "`classifier.onnx`"),
}



@renders("export/speed")
def speed() -> str:
    store = load("export")
    rows = []
    for model, (label, key, digits, ours, ours_label, theirs, theirs_label) in MODELS.items():
        for i, run in enumerate(RUNS):
            name = model + run
            v = store.result(name)
            ratio = times(v["onnx_vs_rnnkit"])
            rows.append((label if i == 0 else "the same", f"`{name}` ({store.entry(name).provenance['commit']})",
                         f"{fixed(v[key][ours], digits)} ms ({ours_label})",
                         f"{fixed(v[key][theirs], digits)} ms ({theirs_label})",
                         f"**{ratio}**" if model == "generation" else ratio,
                         f"{fixed(v['file_mb'], 1)} MB", f"{fixed(v['export_s'], 2)} s"))
    return table(("model", "entry (code)", "rnnkit", "onnxruntime", "onnxruntime vs rnnkit", "ONNX file",
                  "build and write"), rows, "llrrrrr")


@renders("export/target")
def target() -> str:
    store = load("export")
    runs = [store.result("generation" + run)["ms_per_step"] for run in RUNS]
    met = [r["onnxruntime step.onnx"] <= r["rnnkit model.step()"] for r in runs]
    verdict = "**Met** in both runs" if all(met) else f"**Met** in {sum(met)} of {len(met)} runs" if any(met) \
        else "**Missed** in both runs"
    pairs = ", and ".join(f"{fixed(r['onnxruntime step.onnx'], 3)} ms against {fixed(r['rnnkit model.step()'], 3)} ms"
                          for r in runs)
    return (f"Target: the onnxruntime generation step at least as fast as rnnkit's lean step. {verdict}: {pairs}.")
