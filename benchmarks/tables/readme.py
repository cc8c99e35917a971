"""The README's table of results on real data: one row per task, the losses beside the wins, each
figure from the entries that BENCHMARKS.md details."""
from render import fixed, grouped, mean_sd, per_seed, percent, renders, seeds, table
from store import load


def each_seed(topic: str, name: str, *keys: str) -> list[float]:
    """The value at ``keys`` of each seed of the summary entry ``name``, in seed order."""
    out = []
    for value in per_seed(load(topic).entry(name)).values():
        for key in keys:
            value = value[key]
        out.append(value)
    return out


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min"


def language_rows():
    lm = load("lm")
    short, long = lm.result("shakespeare_5min"), lm.result("shakespeare_20min")
    small, best = lm.result("ptb_zaremba_small"), lm.result("ptb_best_30min")
    yield ("character LM", "tinyshakespeare (90/10 split)",
           f"validation {fixed(short['valid_loss_at']['5 min'], 3)} nats/char after 5 minutes of training, "
           f"{fixed(long['valid_loss_at']['20 min'], 3)} after 20", seeds(lm.entry("shakespeare_5min")))
    yield ("word LM", "Penn Treebank",
           f"test perplexity {fixed(small['test_perplexity'], 1)} (Zaremba et al. small, {minutes(small['wall_s'])}); "
           f"{fixed(best['test_perplexity'], 1)} with a tied LayerNorm LSTM in {minutes(best['wall_s'])}",
           seeds(lm.entry("ptb_best_30min")))
    run = load("decoders").entry("generation")
    speed = run.value["chars_per_s"]
    native, cell = speed["rnnkit generate (C++ sampler)"], speed["torch.nn.LSTMCell step loop"]
    yield ("generation", "1 x 512 char LSTM, one stream",
           f"{grouped(native)} characters/s ({fixed(native / cell, 1)}x an nn.LSTMCell loop in the same run, on an "
           f"{run.provenance['machine']['cpu']})",
           f"median of {load('decoders').result('generation')['reps']}")


def text_rows():
    cls = load("classify")
    acc = {n: cls.result(n)["dev_accuracy"] for n in ("sst2_max", "sst2_last", "sst2_attention",
                                                     "sst2_last_select_on_train")}
    yield ("sentiment", "SST-2 dev, random embeddings",
           f"{percent(acc['sst2_max'], 1)} (max pooling), {percent(acc['sst2_last'], 1)} (last), "
           f"{percent(acc['sst2_attention'], 1)} (attention), chosen on dev; "
           f"{percent(acc['sst2_last_select_on_train'], 1)} chosen on held-out training phrases",
           seeds(cls.entry("sst2_max")))
    tag = load("tag").result("ewt_upos")
    yield ("POS tagging", "UD English EWT test, gold tokens",
           f"UPOS {percent(tag['test_accuracy'])} ({percent(tag['test_unseen_accuracy'], 1)} on unseen words), "
           f"{minutes(tag['wall_s'])} of training", seeds(load("tag").entry("ewt_upos")))
    tr = load("translate")
    att, bottleneck = tr.result("attention")["test"], tr.result("no_attention")["test"]
    later = tr.result("attention_issue_19")
    yield ("translation", "Multi30k De->En, test_2016_flickr",
           f"BLEU {fixed(att['beam5']['bleu'], 1)} ({fixed(att['beam5']['bleu_lowercase'], 1)} lowercased) with "
           f"attention and beam 5 after 60 minutes of training, {att['beam5']['sentences_per_s']:.0f} sentences/s; "
           f"{fixed(bottleneck['beam5']['bleu'], 1)} without attention; the same configuration with the code of "
           f"{later['code']} at the same seed (other initial weights): {fixed(later['test']['beam5']['bleu'], 1)}", seeds(tr.entry("attention")))


def forecast_rows():
    fc = load("forecast")
    for part, months in (("air24", 24), ("air12", 12)):
        mape = each_seed("forecast", f"{part}/rnnkit", "MAPE")
        hw = fc.result(f"{part}/baselines")["Holt-Winters"]["MAPE"]
        extra = ""
        if part == "air24":
            cover80 = each_seed("forecast", "air24/rnnkit", "coverage80")
            cover95 = each_seed("forecast", "air24/rnnkit", "coverage95")
            extra = (f"; interval coverage {mean_sd(cover80, 2)} (80%) and {mean_sd(cover95, 3)} (95%), "
                     f"{mean_sd(each_seed('forecast', 'air24/rnnkit', 'train_seconds'), 0)} s of training")
        verdict = "better than" if sum(mape) / len(mape) < hw else "worse than"
        yield ("forecasting", f"AirPassengers, last {months} months held out",
               f"MAPE {mean_sd(mape, 2)}%, {verdict} Holt-Winters' {fixed(hw, 2)}%{extra}", f"{len(mape)} seeds")
    co2 = each_seed("forecast", "co2/rnnkit", "RMSE")
    co2_base = fc.result("co2/baselines")
    yield ("forecasting", "CO2, monthly, last 24 months held out",
           f"RMSE {mean_sd(co2, 3)} ppm, worse than Holt-Winters' {fixed(co2_base['Holt-Winters']['RMSE'], 3)} and "
           f"SARIMA's {fixed(co2_base['SARIMA(0,1,1)(0,1,1) on the log']['RMSE'], 3)}", f"{len(co2)} seeds")
    one = each_seed("forecast", "sunspots/rnnkit", "one-step", "RMSE")
    twenty = each_seed("forecast", "sunspots/rnnkit", "20-step", "RMSE")
    ar = fc.result("sunspots/baselines")["AR(9)"]
    yield ("forecasting", "sunspots, 20 test years",
           f"RMSE one step ahead {mean_sd(one, 2)} (AR(9) {fixed(ar['one-step RMSE'], 2)}); 20 steps ahead "
           f"{mean_sd(twenty, 2)}, far worse than AR(9)'s {fixed(ar['20-step RMSE'], 2)}", f"{len(one)} seeds")
    mase = each_seed("forecast", "m1/rnnkit", "MASE")
    m1 = fc.result("m1/baselines")
    yield ("forecasting", "M1 yearly, 181 series, horizon 6, one model",
           f"mean MASE {mean_sd(mase, 3)} (Theta {fixed(m1['Theta']['MASE'], 3)}, damped Holt "
           f"{fixed(m1['damped Holt']['MASE'], 3)}); "
           f"{mean_sd(each_seed('forecast', 'm1/rnnkit', 'train_seconds'), 0)} s", f"{len(mase)} seeds")


def forecast_defaults_row():
    """Default options on six datasets: rnnkit's MASE beside seasonal naive's and the better
    classical method's (BENCHMARKS.md, "Forecasting with default options")."""
    from tables.forecast_defaults import BASELINES, DATASETS, present

    store, parts = load("forecast_defaults"), []
    for name in present():
        base = store.result(f"test/{name}/baselines")
        best = min(BASELINES[1:], key=lambda b: base[b]["MASE"])
        ours = each_seed("forecast_defaults", f"test/{name}/rnnkit", "MASE")
        parts.append(f"{DATASETS[name][0]} {mean_sd(ours, 3)} (seasonal naive {fixed(base['seasonal naive']['MASE'], 3)}, "
                     f"{best.split(' (')[0]} {fixed(base[best]['MASE'], 3)})")
    if parts:
        yield ("forecasting", "default options only: the data flags and --horizon, 600 s at most",
               "MASE " + "; ".join(parts), "3 seeds")


def recordings_row():
    rec = load("recordings")
    parts = []
    for problem in ("JapaneseVowels", "BasicMotions", "GunPoint"):
        acc = each_seed("recordings", f"{problem}/rnnkit", "accuracy")
        dtw = rec.result(f"{problem}/baselines")["1-NN DTW (dependent)"]
        parts.append(f"{problem} {mean_sd(acc, 3)} (1-NN DTW {fixed(dtw, 3)})")
    yield ("recordings", "UEA/UCR: JapaneseVowels, BasicMotions, GunPoint", "; ".join(parts), f"{len(acc)} seeds")


def recordings_defaults_row():
    """Default options on six UEA/UCR problems: rnnkit's test accuracy beside 1-NN DTW's
    (BENCHMARKS.md, "Classifying recordings with default options")."""
    from tables.defaults import present

    store, parts = load("defaults"), []
    for problem in present():
        acc = each_seed("defaults", f"test/recordings/{problem}/rnnkit", "accuracy")
        dtw = store.result(f"test/recordings/{problem}/baselines")["1-NN DTW"]
        parts.append(f"{problem} {mean_sd(acc, 3)} (1-NN DTW {fixed(dtw, 3)})")
    if parts:
        yield ("recordings", "default options only: --train, 600 s at most", "accuracy " + "; ".join(parts),
               "3 seeds")


def generated_defaults_rows():
    """Default options on clips, tracks and captions from the generators with new shapes, and on
    melodies of collections never tuned for (BENCHMARKS.md, "Clips, tracks and captions with
    default options", "Melodies with default options")."""
    from tables.defaults import clips_present

    store, done = load("defaults"), clips_present()
    if "motion" in done:
        acc = each_seed("defaults", "test/clips/motion/rnnkit", "accuracy")
        mean_frame = store.result("test/clips/motion/baselines")["the mean frame"]
        yield ("clips", "default options only: 40 x 40 clips, 8 directions at 2 speeds, 600 s at most",
               f"accuracy {mean_sd(acc, 3)} (CNN on the mean frame {fixed(mean_frame, 3)})", "3 seeds")
    if "ball" in done:
        error = each_seed("defaults", "test/clips/ball/rnnkit", "error")
        velocity = store.result("test/clips/ball/rnnkit")["constant_velocity"]
        yield ("where the ball goes", "default options only: 48 x 48, radius 4, gravity 0.2, 600 s at most",
               f"error of the next 5 positions {mean_sd(error, 3)} px (constant velocity {fixed(velocity, 3)} px)",
               "3 seeds")
    if "test/captions/count5/rnnkit" in store.entries:
        exact = each_seed("defaults", "test/captions/count5/rnnkit", "exact")
        slot = store.result("test/captions/count5/baselines")["slot CNN"]["exact"]
        yield ("captioning", "default options only: 160 x 48 canvases of 1-5 digits, 600 s at most",
               f"exact {mean_sd(exact, 3)} (slot CNN told the count {fixed(slot, 3)})", "3 seeds")
    if "test/melody/essen/rnnkit" in store.entries:
        pitch = each_seed("defaults", "test/melody/essen/rnnkit", "pitch_bits")
        four = store.result("test/melody/essen/baselines")["4-gram transposed"]
        yield ("melodies", "default options only: Essen Erk tunes learnt, Boehme tunes scored",
               f"{mean_sd(pitch, 3)} pitch bits/note (4-gram {fixed(four, 3)})", "3 seeds")


def vision_rows():
    cap = load("caption")
    count, base, relation = cap.result("count/rnnkit"), cap.result("count/baseline"), cap.result("relation/rnnkit")
    longest = max(count["train_seconds"], relation["train_seconds"])
    yield ("captioning", "canvases of 1-4 MNIST digits, unseen digits",
           f"exact {fixed(count['exact'], 3)}, BLEU-4 {fixed(count['bleu'], 2)} (slot CNN told the count: "
           f"{fixed(base['exact'], 3)}); 2 x 2 relations exact {fixed(relation['exact'], 3)}; "
           f"at most {minutes(longest)} each", seeds(cap.entry("count/rnnkit")))
    clips = load("clips")
    motion = clips.result("motion/rnnkit")
    one = clips.result("motion/baseline/one frame (the middle one)")["accuracy"]
    mean = clips.result("motion/baseline/the mean frame")["accuracy"]
    yield ("clips", "moving MNIST digits, 6 motions, unseen digits",
           f"accuracy {fixed(motion['accuracy'], 3)} (one-frame CNN {fixed(one, 3)}, mean-frame CNN {fixed(mean, 3)}); "
           f"{minutes(motion['train_seconds'])}", seeds(clips.entry("motion/rnnkit")))
    every, bouncing = clips.result("ball/all windows"), clips.result("ball/bouncing windows")
    yield ("trajectories", "bouncing ball under gravity, next 5 positions",
           f"mean error {fixed(every['rnnkit'], 2)} px (constant velocity {fixed(every['constant_velocity'], 2)} px); "
           f"{fixed(bouncing['rnnkit'], 2)} px on windows with a bounce ({fixed(bouncing['constant_velocity'], 2)})",
           seeds(clips.entry("ball/all windows")))


def melody_row():
    mel = load("melody")
    folds, essen, made = mel.result("kinder0/summary"), mel.result("essen"), mel.result("generated")
    yield ("melodies", "Essen kinder0, 10-fold by song",
           f"{fixed(folds['rnnkit'], 2)} pitch bits/note (best n-gram {fixed(folds['4-gram transposed'], 2)}); "
           f"all Essen tunes: {fixed(essen['pitch_bits'], 2)} pitch, {fixed(essen['joint_bits'], 2)} with durations; "
           f"composed melodies {percent(made['in_key_rnnkit'], 1)} in key (corpus {percent(made['in_key_corpus'], 1)})",
           seeds(mel.entry("kinder0/summary")))


@renders("readme/results")
def results() -> str:
    rows = [*language_rows(), *text_rows(), *forecast_rows(), *forecast_defaults_row(), *recordings_row(),
            *recordings_defaults_row(), *generated_defaults_rows(), *vision_rows(), *melody_row()]
    return table(("task", "data", "result", "seeds"), rows)
