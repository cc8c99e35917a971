# `make demo` and `make test` work on a fresh machine: the first use creates .venv,
# installs the CPU build of torch (pinned: an unpinned torch pulls several GB of CUDA
# packages), then this package with its extras, and compiles its C++ time loop.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-fast test-ecosystem bench bench-core bench-lm bench-classify bench-tag bench-translate bench-decoders \
        bench-forecast bench-forecast-defaults bench-defaults bench-recordings bench-caption bench-clips bench-longrange bench-melody bench-distributed \
        bench-export bench-reliability bench-regression bench-report clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev,music,export]'
	-$(VENV)/bin/rnnkit build   # the C++ time loop; without a compiler the Python loop runs instead
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/rnnkit demo

# one pytest worker a core (pytest-xdist), each test process on one torch thread: two workers of two
# threads each on 2 cores ran slower than one worker
PYTEST = OMP_NUM_THREADS=1 $(PY) -m pytest -n auto --dist worksteal

test: $(STAMP)
	$(PYTEST) --ignore=tests/integrations tests

# rnnkit inside other frameworks (optional extras, installed here): their own conformance checks;
# sktime's, about 800 of them, take several minutes
ECOSYSTEM := $(VENV)/.ecosystem
$(ECOSYSTEM): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,music,export,aeon,sktime,tensorboard]'
	touch $(ECOSYSTEM)

test-ecosystem: $(ECOSYSTEM)
	$(PYTEST) tests/integrations

# the edit-test loop (about 50 s on 2 cores): everything below the command line, less the tests marked slow
test-fast: $(STAMP)
	$(PYTEST) -m "not slow" --ignore=tests/cli --ignore=tests/integrations tests

bench: bench-core bench-lm bench-classify bench-tag bench-translate bench-decoders bench-forecast bench-recordings \
       bench-caption bench-clips bench-longrange bench-melody bench-distributed bench-export bench-reliability

bench-core: $(STAMP)
	$(PY) benchmarks/layers.py

# about 90 minutes: tinyshakespeare (25 min), Penn Treebank (about 55 min), generation speed
bench-lm: $(STAMP)
	$(PY) benchmarks/lm.py generation shakespeare ptb

# about 25 minutes: SST-2, four runs of at most 10 minutes (they stop early, about 5)
bench-classify: $(STAMP)
	$(PY) benchmarks/classify.py

# about 32 minutes: UD English EWT, 30 minutes of training
bench-tag: $(STAMP)
	$(PY) benchmarks/tag.py

# about 110 minutes: Multi30k De->En, two 15-minute tokenizer runs, 15 minutes without
# attention, 60 minutes with attention, and decoding the test set greedily and with beam 5
bench-translate: $(STAMP)
	$(PY) benchmarks/translate.py

# a few minutes: step-by-step speed against plain PyTorch (generation, a Seq2Seq training step) and
# translation sentences/s with the run bench-translate trains (skipped where there is none)
bench-decoders: $(STAMP)
	$(PY) benchmarks/decoders.py

# about 25 minutes: AirPassengers (horizons 24 and 12), M1 yearly, CO2 and sunspots, five rnnkit runs
# each against statsmodels' classical methods (a benchmark extra: installed here)
bench-forecast: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/forecast.py

# about 2 hours, resumable: the defaults (--max-time 600, 3 seeds) of the recordings classifier on JapaneseVowels,
# BasicMotions, GunPoint, Coffee, PigCVP and PLAID beside 1-NN Euclidean and 1-NN DTW, of the clip classifier on
# 40 x 40 clips of 8 directions beside single-image CNNs, of the tracker on 48 x 48 balls beside constant
# velocity, of the captioner on 160 x 48 canvases of 1 to 5 digits beside a slot CNN, and of the melody model
# on Essen's Erk tunes, scored on Boehme's, beside n-grams; SPLIT=validation scores the development split
# (held-out training cases, the generators' validation parts, Erk's erk30) for choosing defaults
bench-defaults: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/defaults.py --split $(or $(SPLIT),test)
	$(PY) benchmarks/defaults_clips.py --split $(or $(SPLIT),test)
	$(PY) benchmarks/defaults_captions.py --split $(or $(SPLIT),test)
	$(PY) benchmarks/defaults_melody.py --split $(or $(SPLIT),test)

# up to about 3.5 hours, resumable: the forecaster's defaults (--max-time 600, 3 seeds) on AirPassengers, CO2,
# sunspots, electrical equipment, M1 yearly and M4 hourly beside seasonal naive, ETS (lowest AIC) and Theta;
# SPLIT=validation scores the development split (every series without its last H) for choosing defaults
bench-forecast-defaults: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/forecast_defaults.py --split $(or $(SPLIT),test)

# about 25 minutes: JapaneseVowels, BasicMotions and GunPoint recordings, five rnnkit runs each against
# 1-nearest-neighbour with the Euclidean distance and with DTW
bench-recordings: $(STAMP)
	$(PY) benchmarks/recordings.py

# about 35 minutes: two captioners (each under 15) and their baselines
bench-caption: $(STAMP)
	$(PY) benchmarks/caption.py

# about 25 minutes: a clip classifier (under 15) and two single-image baselines; a ball-trajectory predictor (under 15)
bench-clips: $(STAMP)
	$(PY) benchmarks/clips.py

# about 4 hours, resumable (each run is recorded as it ends): five cells on the adding problem (T = 50 and 200),
# the copy problem, digits by rows and by pixels (the LSTM 30 minutes), and gradient ratios
bench-longrange: $(STAMP)
	$(PY) benchmarks/longrange.py

# about 45 minutes: the Essen folk songs of music21's corpus (reading them the first time: about 6 minutes),
# kinder0 10-fold against n-gram models (10 x about 55 s), all tunes (10 minutes of training), 300 melodies
bench-melody: $(STAMP)
	$(PY) benchmarks/melody.py

# about 12 minutes: 1 and 2 processes (--nproc) for the language model and the translation model, 90 s each
bench-distributed: $(STAMP)
	$(PY) benchmarks/distributed.py

# a few minutes: onnxruntime against rnnkit (a generation step, a classifier batch), file sizes, export times
bench-export: $(STAMP)
	$(PY) benchmarks/export.py

# a few minutes: a small run killed (kill -9, then Ctrl-C) at 12 random moments each and resumed,
# against the uninterrupted run, bit for bit
bench-reliability: $(STAMP)
	$(PY) benchmarks/kill_loop.py

# about 60 minutes: a redesign against the code before it, side by side (char LM 5 min, SST-2
# last, Multi30k words 15 min, and 3 interleaved rounds of 45-second speed runs); OLD is a
# checkout of the code before, e.g. `git worktree add /tmp/old <commit>`, then
# `make bench-regression OLD=/tmp/old`
bench-regression: $(STAMP)
	test -n "$(OLD)" || { echo "give OLD=DIR, a checkout of the code to compare with"; exit 2; }
	$(PY) benchmarks/regression.py --code old=$(OLD) --code new=. --speed-repeats 3

# seconds, no torch: the tables of BENCHMARKS.md and the README's results and speed tables rendered from
# benchmarks/results/*.json between their markers (a test in `make test` fails where they differ)
bench-report:
	$(PYTHON) benchmarks/report.py

clean:
	rm -rf $(VENV) build *.egg-info
