"""rnnkit data get: files fetched from an HTTP server on 127.0.0.1 (the tests make the files),
checked against their SHA-256, kept where intact, continued with a range request after an
interrupted fetch (or started again where the server ignores ranges), unpacked where gzipped;
a checksum mismatch or an unknown name is one line, exit status 2, and leaves nothing."""
import gzip
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rnnkit.cli.main import main
from rnnkit.data import catalog
from rnnkit.data.catalog import Dataset, Remote
from rnnkit.errors import RnnkitError

TEXT = b"to be, or not to be: that is the question\n" * 500
GZIPPED = gzip.compress(TEXT, mtime=0)


class Files(BaseHTTPRequestHandler):
    files: dict = {}
    log: list = []
    cut_once: set = set()      # paths whose next answer stops halfway
    ranges = True

    def do_GET(self):
        body = self.files[self.path]
        start = 0
        if self.ranges and self.headers.get("Range"):
            start = int(self.headers["Range"].split("=")[1].rstrip("-"))
        self.log.append((self.path, start))
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        if self.path in self.cut_once:
            self.cut_once.discard(self.path)
            self.wfile.write(body[start : start + (len(body) - start) // 2])
            self.wfile.flush()
            self.connection.close()
            return
        self.wfile.write(body[start:])

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch):
    Files.files = {"/text.txt": TEXT, "/text.txt.gz": GZIPPED}
    Files.log, Files.cut_once, Files.ranges = [], set(), True
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    sha = hashlib.sha256(TEXT).hexdigest()
    monkeypatch.setattr(catalog, "DATASETS", {
        "tiny": Dataset("tiny", "a made-up text", "tests@0", "none", (
            Remote(f"{base}/text.txt", "a.txt", sha, len(TEXT)),
            Remote(f"{base}/text.txt.gz", "b.txt", sha, len(TEXT), gunzip=True))),
        "wrong": Dataset("wrong", "a file whose checksum is not the one pinned", "tests@0", "none", (
            Remote(f"{base}/text.txt", "c.txt", "0" * 64, len(TEXT)),))})
    yield base
    httpd.shutdown()


def test_a_dataset_is_fetched_checked_and_kept(server, tmp_path):
    folder = catalog.get("tiny", tmp_path)
    assert folder == tmp_path / "tiny"
    assert (folder / "a.txt").read_bytes() == TEXT and (folder / "b.txt").read_bytes() == TEXT   # b: gunzipped
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt", "b.txt"]
    fetched = len(Files.log)
    catalog.get("tiny", tmp_path)
    assert len(Files.log) == fetched                                                # intact files: not again


def test_an_interrupted_fetch_continues_where_it_stopped(server, tmp_path):
    Files.cut_once = {"/text.txt"}
    with pytest.raises(RnnkitError, match="run again to continue"):
        catalog.get("tiny", tmp_path)
    partial = tmp_path / "tiny" / "a.txt.partial"
    assert 0 < partial.stat().st_size < len(TEXT) and not (tmp_path / "tiny" / "a.txt").exists()
    catalog.get("tiny", tmp_path)
    assert ("/text.txt", partial.stat().st_size if partial.exists() else len(TEXT) // 2) in Files.log
    assert (tmp_path / "tiny" / "a.txt").read_bytes() == TEXT and not partial.exists()


def test_a_server_without_ranges_starts_the_file_again(server, tmp_path):
    Files.cut_once, Files.ranges = {"/text.txt"}, False
    with pytest.raises(RnnkitError):
        catalog.get("tiny", tmp_path)
    catalog.get("tiny", tmp_path)
    assert (tmp_path / "tiny" / "a.txt").read_bytes() == TEXT


def test_a_checksum_mismatch_or_an_unknown_name_is_one_line_and_leaves_nothing(server, tmp_path, capsys):
    assert main(["data", "get", "wrong", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "checksum mismatch for c.txt" in err and "nothing kept" in err and len(err.strip().splitlines()) == 1
    assert list((tmp_path / "wrong").iterdir()) == []
    assert main(["data", "get", "nope"]) == 2
    assert "no dataset 'nope'; the datasets are tiny, wrong" in capsys.readouterr().err


def test_the_command_prints_the_folder_and_the_list(server, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RNNKIT_DATA", str(tmp_path / "cache"))
    assert main(["data", "get", "tiny"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "cache" / "tiny")
    assert main(["data", "list"]) == 0
    assert capsys.readouterr().out.startswith("tiny\t0.0 MB\ta made-up text\tsource tests@0\tlicence none")


def test_the_pinned_checksums_are_those_of_the_datasets_files():
    """Each dataset's files: one name each, a SHA-256 of 64 hex digits, from GitHub at a commit."""
    for d in catalog.DATASETS.values():
        assert len({f.name for f in d.files}) == len(d.files)
        for f in d.files:
            assert len(f.sha256) == 64 and int(f.sha256, 16) >= 0 and f.size > 0
            assert f.url.startswith(catalog.GITHUB + "/") and d.source.split("@")[1] in f.url or f.gunzip
