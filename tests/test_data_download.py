"""mer_lessons.data.download: fetch() against a local HTTP server (127.0.0.1 only, no internet).

The server serves in-memory fixture files, can honour or ignore ``Range`` requests, and
can drop the connection midway through a file once, to simulate an interrupted download.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import socket
import tarfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mer_lessons.data import download
from mer_lessons.data.core import DatasetInfo, DownloadFile
from mer_lessons.data.errors import (
    ChecksumError,
    DatasetFormatError,
    DatasetNotAvailableError,
    UnsafeArchiveError,
)

# --------------------------------------------------------------------------- local server


class _State:
    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.range_support = True
        self.drop_after: int | None = None     # send this many body bytes once, then drop
        self.stall: tuple[int, float] | None = None   # send this many bytes once, then go silent
        self.requests: list[dict] = []


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):              # keep pytest output clean
        pass

    def do_GET(self):
        state: _State = self.server.state
        state.requests.append({"path": self.path, "range": self.headers.get("Range")})
        body = state.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        start = 0
        wanted = self.headers.get("Range")
        if wanted and state.range_support:
            start = int(re.fullmatch(r"bytes=(\d+)-", wanted).group(1))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
            if state.range_support:
                self.send_header("Accept-Ranges", "bytes")
        payload = body[start:]
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if state.stall is not None:
            (cut, seconds), state.stall = state.stall, None
            self.wfile.write(payload[:cut])
            self.wfile.flush()
            time.sleep(seconds)                          # the client's read timeout fires first
            self.close_connection = True
            return
        if state.drop_after is not None:
            cut, state.drop_after = state.drop_after, None
            self.wfile.write(payload[:cut])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)   # the connection drops mid-file
            self.close_connection = True
            return
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):   # dropped connections are expected
        pass


@pytest.fixture
def server(monkeypatch):
    for variable in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(download, "RETRY_PAUSE", 0.0)
    with serving(_Handler) as state:
        yield state


@contextlib.contextmanager
def serving(handler):
    """A local HTTP server answering with ``handler`` in a thread; yields its shared state."""
    httpd = _Server(("127.0.0.1", 0), handler)
    httpd.state = _State()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    httpd.state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield httpd.state
    finally:
        httpd.shutdown()
        httpd.server_close()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _publish(state: _State, filename: str, data: bytes, *, sha: str | None = None, extract: bool = False,
             size: int = 0) -> DownloadFile:
    state.files[f"/files/{filename}"] = data
    return DownloadFile(url=f"{state.base}/files/{filename}", filename=filename,
                        sha256=_sha(data) if sha is None else sha, size_bytes=size, extract=extract)


def _info(*files: DownloadFile, access: str = "open", name: str = "toy") -> DatasetInfo:
    return DatasetInfo(
        name=name, title="Toy dataset", access=access, modalities=("audio",), labels=("valence",),
        size="tiny", licence="Toy licence 1.0", homepage="https://example.invalid/toy",
        citation="Nobody (2026). Toy.", layout="clips/*.txt, labels.csv",
        request_url="https://example.invalid/toy/request" if access in ("eula", "request") else "",
        files=tuple(files))


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def _tar(entries: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tf:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tf.addfile(entry)
            else:
                name, data = entry
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _link(name: str, target: str, kind=tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


GOOD_MEMBERS = {"toy/labels.csv": b"id,valence\n1,5.0\n", "toy/clips/1.txt": b"la la la\n" * 50}


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


# --------------------------------------------------------------------------- good downloads


def test_good_zip_downloads_verifies_extracts_and_marks_then_second_fetch_is_a_no_op(server, tmp_path, capsys):
    data = _zip(GOOD_MEMBERS)
    info = _info(_publish(server, "toy.zip", data, extract=True, size=len(data)))
    target = tmp_path / "toy"

    assert download.fetch("toy", target, info=info, progress=True) == target
    assert (target / "toy" / "labels.csv").read_bytes() == GOOD_MEMBERS["toy/labels.csv"]
    assert (target / "toy" / "clips" / "1.txt").read_bytes() == GOOD_MEMBERS["toy/clips/1.txt"]
    assert not (target / "toy.zip").exists() and not (target / "toy.zip.part").exists()
    assert not list(target.glob(".extract-*"))
    marker = json.loads((target / download.MARKER).read_text())
    assert marker["complete"] is True and marker["dataset"] == "toy"
    assert marker["files"]["toy.zip"]["sha256"] == _sha(data)
    assert marker["files"]["toy.zip"]["entries"] == ["toy"]
    assert len(server.requests) == 1 and server.requests[0]["range"] is None
    assert "ready in" in capsys.readouterr().out

    download.fetch("toy", target, info=info)
    assert len(server.requests) == 1                      # nothing downloaded again
    assert "already fetched" in capsys.readouterr().out

    (target / "toy" / "labels.csv").write_text("stale")
    download.fetch("toy", target, info=info, force=True, progress=False)
    assert len(server.requests) == 2
    assert (target / "toy" / "labels.csv").read_bytes() == GOOD_MEMBERS["toy/labels.csv"]
    assert not list(target.glob(".extract-*"))


def test_fetch_looks_the_name_up_in_the_registry_and_defaults_to_the_data_dir(server, data_home, monkeypatch):
    data = b"id,valence\n1,3\n"
    info = _info(_publish(server, "labels.csv", data))
    monkeypatch.setattr(download, "dataset_info", lambda name: info if name == "toy" else None)
    folder = download.fetch("toy", progress=False)
    assert folder == data_home / "toy"
    assert (folder / "labels.csv").read_bytes() == data


def test_fetch_is_exported_by_the_data_package():
    import mer_lessons.data

    assert mer_lessons.data.fetch is download.fetch and "fetch" in mer_lessons.data.__all__


def test_a_plain_file_without_a_known_sum_is_kept_and_its_sum_printed(server, tmp_path, capsys):
    data = b"plain file\n" * 10
    info = _info(_publish(server, "notes.txt", data, sha=""))
    download.fetch("toy", tmp_path, info=info, progress=False)
    assert (tmp_path / "notes.txt").read_bytes() == data
    out = capsys.readouterr().out
    assert _sha(data) in out and "notes.txt" in out and "registry" in out


@pytest.mark.parametrize("suffix, mode", [(".tar", "w"), (".tar.gz", "w:gz"), (".tgz", "w:gz"),
                                          (".tar.bz2", "w:bz2")])
def test_tar_archives_unpack_including_links_that_stay_inside(server, tmp_path, suffix, mode):
    data = _tar([("pack/a.txt", b"alpha"), _link("pack/alias.txt", "a.txt"),
                 _link("pack/hard.txt", "pack/a.txt", tarfile.LNKTYPE)], mode)
    info = _info(_publish(server, "pack" + suffix, data, extract=True))
    download.fetch("toy", tmp_path, info=info, progress=False)
    assert (tmp_path / "pack" / "a.txt").read_bytes() == b"alpha"
    assert (tmp_path / "pack" / "alias.txt").is_symlink()
    assert (tmp_path / "pack" / "alias.txt").read_bytes() == b"alpha"
    assert (tmp_path / "pack" / "hard.txt").read_bytes() == b"alpha"
    assert not (tmp_path / ("pack" + suffix)).exists()


def test_an_interrupted_multi_file_fetch_only_downloads_what_is_missing(server, tmp_path):
    first = _publish(server, "one.csv", b"1\n")
    second = _publish(server, "two.csv", b"2\n")
    del server.files["/files/two.csv"]                    # the second file is missing: 404
    info = _info(first, second)
    with pytest.raises(DatasetNotAvailableError, match="404"):
        download.fetch("toy", tmp_path, info=info, progress=False)
    assert not json.loads((tmp_path / download.MARKER).read_text())["complete"]
    server.files["/files/two.csv"] = b"2\n"
    download.fetch("toy", tmp_path, info=info, progress=False)
    assert [r["path"] for r in server.requests] == ["/files/one.csv", "/files/two.csv", "/files/two.csv"]
    assert json.loads((tmp_path / download.MARKER).read_text())["complete"]


def test_files_deleted_since_the_last_fetch_are_fetched_again(server, tmp_path):
    info = _info(_publish(server, "one.csv", b"1\n"))
    download.fetch("toy", tmp_path, info=info, progress=False)
    (tmp_path / "one.csv").unlink()
    download.fetch("toy", tmp_path, info=info, progress=False)
    assert (tmp_path / "one.csv").read_bytes() == b"1\n" and len(server.requests) == 2


def test_leftover_staging_folders_of_a_killed_fetch_are_removed(server, tmp_path):
    (tmp_path / ".extract-dead" / "unpacked").mkdir(parents=True)
    data = _zip(GOOD_MEMBERS)
    download.fetch("toy", tmp_path, info=_info(_publish(server, "toy.zip", data, extract=True)), progress=False)
    assert not list(tmp_path.glob(".extract-*"))


# --------------------------------------------------------------------------- checksums


def test_checksum_mismatch_raises_naming_the_file_and_both_sums_and_keeps_nothing(server, tmp_path):
    data = _zip(GOOD_MEMBERS)
    wrong = "0" * 64
    info = _info(_publish(server, "toy.zip", data, sha=wrong, extract=True))
    with pytest.raises(ChecksumError) as caught:
        download.fetch("toy", tmp_path / "toy", info=info, progress=False)
    message = str(caught.value)
    assert "toy.zip" in message and wrong in message and _sha(data) in message
    assert _listing(tmp_path / "toy") == []               # no archive, no .part, nothing unpacked, no marker


def test_a_size_mismatch_without_a_known_sum_also_keeps_nothing(server, tmp_path):
    info = _info(_publish(server, "notes.txt", b"12345", sha="", size=999))
    with pytest.raises(ChecksumError, match="notes.txt.*999"):
        download.fetch("toy", tmp_path, info=info, progress=False)
    assert _listing(tmp_path) == []


# --------------------------------------------------------------------------- resuming


def test_an_interrupted_download_resumes_with_a_range_request(server, tmp_path):
    data = bytes(range(256)) * 400                        # 100 kB
    info = _info(_publish(server, "big.bin", data))
    server.drop_after = 30_000
    with pytest.raises(DatasetNotAvailableError, match="resumes"):
        download.fetch("toy", tmp_path, info=info, progress=False, retries=0)
    part = tmp_path / "big.bin.part"
    assert part.stat().st_size == 30_000 and not (tmp_path / "big.bin").exists()

    download.fetch("toy", tmp_path, info=info, progress=False)
    assert server.requests[-1]["range"] == "bytes=30000-"
    assert (tmp_path / "big.bin").read_bytes() == data and not part.exists()


def test_one_fetch_call_resumes_a_broken_transfer_by_itself(server, tmp_path):
    data = b"0123456789" * 5000
    info = _info(_publish(server, "big.bin", data, size=len(data)))
    server.drop_after = 12_345
    download.fetch("toy", tmp_path, info=info, progress=True)
    assert [r["range"] for r in server.requests] == [None, "bytes=12345-"]
    assert (tmp_path / "big.bin").read_bytes() == data


def test_a_stalled_transfer_times_out_and_resumes_later(server, tmp_path):
    data = b"z" * 40_000
    info = _info(_publish(server, "slow.bin", data))
    server.stall = (10_000, 2.0)
    start = time.perf_counter()
    with pytest.raises(DatasetNotAvailableError, match="resumes"):
        download.fetch("toy", tmp_path, info=info, progress=False, timeout=0.3, retries=0)
    assert time.perf_counter() - start < 1.5
    assert (tmp_path / "slow.bin.part").stat().st_size == 10_000
    download.fetch("toy", tmp_path, info=info, progress=False)
    assert server.requests[-1]["range"] == "bytes=10000-"
    assert (tmp_path / "slow.bin").read_bytes() == data


def test_a_server_without_range_support_restarts_the_download_cleanly(server, tmp_path):
    data = b"abcdefghij" * 5000
    info = _info(_publish(server, "big.bin", data))
    server.range_support = False
    (tmp_path / "big.bin.part").write_bytes(b"GARBAGE-FROM-AN-OLDER-ATTEMPT")
    download.fetch("toy", tmp_path, info=info, progress=False)
    assert server.requests[0]["range"] == "bytes=29-"     # asked to resume, got a 200 instead
    assert (tmp_path / "big.bin").read_bytes() == data    # truncated and restarted, not appended


def test_a_part_file_that_is_complete_already_is_verified_without_downloading_again(server, tmp_path):
    data = b"complete" * 100
    info = _info(_publish(server, "done.bin", data))
    (tmp_path / "done.bin.part").write_bytes(data)
    download.fetch("toy", tmp_path, info=info, progress=False)  # size unknown: the server answers 416
    assert (tmp_path / "done.bin").read_bytes() == data
    assert len(server.requests) == 1 and server.requests[0]["range"] == f"bytes={len(data)}-"


def test_a_resumed_download_with_a_bad_sum_is_deleted_entirely(server, tmp_path):
    data = b"x" * 20_000
    info = _info(_publish(server, "big.bin", data, sha="f" * 64))
    (tmp_path / "big.bin.part").write_bytes(b"y" * 5_000)   # a stale .part of some other file
    with pytest.raises(ChecksumError):
        download.fetch("toy", tmp_path, info=info, progress=False)
    assert _listing(tmp_path) == []


# --------------------------------------------------------------------------- unsafe archives


def _unsafe_zip_symlink() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("toy/ok.txt", b"fine")
        link = zipfile.ZipInfo("toy/passwd")
        link.create_system = 3
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, b"../../../../etc/passwd")
    return buffer.getvalue()


def _char_device() -> tarfile.TarInfo:
    info = tarfile.TarInfo("toy/null")
    info.type = tarfile.CHRTYPE
    info.devmajor, info.devminor = 1, 3
    return info


UNSAFE = {
    "zip-dotdot": ("evil.zip", lambda tmp: _zip({"toy/ok.txt": b"fine", "../evil.txt": b"owned"}), "../evil.txt"),
    "zip-dotdot-nested": ("evil.zip", lambda tmp: _zip({"toy/ok.txt": b"fine", "toy/../../evil.txt": b"x"}),
                          "toy/../../evil.txt"),
    "zip-backslash": ("evil.zip", lambda tmp: _zip({"toy/ok.txt": b"fine", "..\\evil.txt": b"x"}), "..\\\\evil.txt"),
    "zip-absolute": ("evil.zip", lambda tmp: _zip({"toy/ok.txt": b"fine", str(tmp / "abs_evil.txt"): b"x"}),
                     "abs_evil.txt"),
    "zip-symlink-outside": ("evil.zip", lambda tmp: _unsafe_zip_symlink(), "toy/passwd"),
    "tar-symlink-etc-passwd": ("evil.tar.gz", lambda tmp: _tar(
        [("toy/ok.txt", b"fine"), _link("toy/passwd", "/etc/passwd")], "w:gz"), "toy/passwd"),
    "tar-symlink-dotdot": ("evil.tar", lambda tmp: _tar(
        [("toy/ok.txt", b"fine"), _link("toy/up", "../../..")]), "toy/up"),
    "tar-hardlink-outside": ("evil.tar", lambda tmp: _tar(
        [("toy/ok.txt", b"fine"), _link("toy/hard", "../evil.txt", tarfile.LNKTYPE)]), "toy/hard"),
    "tar-hardlink-absolute": ("evil.tar", lambda tmp: _tar(
        [("toy/ok.txt", b"fine"), _link("toy/hard", "/etc/passwd", tarfile.LNKTYPE)]), "toy/hard"),
    "tar-absolute": ("evil.tar", lambda tmp: _tar([("toy/ok.txt", b"fine"), (str(tmp / "abs_evil.txt"), b"x")]),
                     "abs_evil.txt"),
    # each link stays inside on paper, but "t" resolves to the parent and "t/evil.txt" escapes
    "tar-write-through-link": ("evil.tar", lambda tmp: _tar(
        [("toy/ok.txt", b"fine"), _link("s", "."), _link("t", "s/.."), ("t/evil.txt", b"owned")]), "t"),
    "tar-device": ("evil.tar", lambda tmp: _tar([("toy/ok.txt", b"fine"), _char_device()]), "toy/null"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_archives_are_refused_and_nothing_is_unpacked(server, tmp_path, case):
    filename, build, member = UNSAFE[case]
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "data" / "toy"
    info = _info(_publish(server, filename, build(outside), extract=True))
    with pytest.raises(UnsafeArchiveError) as caught:
        download.fetch("toy", target, info=info, progress=False)
    assert re.search(member, str(caught.value)), str(caught.value)
    assert _listing(target) == []                         # nothing moved into place, no staging, no marker
    assert _listing(outside) == ["data", "data/toy"]      # and nothing written next to it
    assert not (tmp_path / "evil.txt").exists()


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_the_modules_own_checks_refuse_each_case_without_tarfiles_data_filter(tmp_path, case):
    filename, build, member = UNSAFE[case]
    archive = tmp_path / filename
    archive.write_bytes(build(tmp_path))
    with pytest.raises(UnsafeArchiveError, match=member):
        if download.archive_kind(archive) == "zip":
            with zipfile.ZipFile(archive) as zf:
                download.check_zip(archive, zf)
        else:
            with tarfile.open(archive) as tf:
                download.check_tar(archive, tf)


def test_a_zip_symlink_that_stays_inside_is_unpacked_as_a_link(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("toy/a.txt", b"alpha")
        link = zipfile.ZipInfo("toy/alias.txt")
        link.create_system = 3
        link.external_attr = 0o120777 << 16
        zf.writestr(link, b"a.txt")
    archive = tmp_path / "links.zip"
    archive.write_bytes(buffer.getvalue())
    assert download.extract_archive(archive, tmp_path / "out") == ["toy"]
    alias = tmp_path / "out" / "toy" / "alias.txt"
    assert alias.is_symlink() and alias.read_bytes() == b"alpha"


def test_extract_archive_checks_every_member_before_writing_anything(tmp_path):
    archive = tmp_path / "mixed.zip"
    archive.write_bytes(_zip({"a.txt": b"a", "b/../../c.txt": b"c"}))
    target = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match=r"b/\.\./\.\./c\.txt"):
        download.extract_archive(archive, target)
    assert _listing(target) == []


def test_a_damaged_archive_raises_a_format_error_and_keeps_nothing(server, tmp_path):
    data = _zip(GOOD_MEMBERS)[:-40]                       # the central directory is cut off
    info = _info(_publish(server, "toy.zip", data, sha="", extract=True))
    with pytest.raises(DatasetFormatError, match="toy.zip"):
        download.fetch("toy", tmp_path, info=info, progress=False)
    assert _listing(tmp_path) == []


# --------------------------------------------------------------------------- no download


@pytest.mark.parametrize("access", ["eula", "request"])
def test_licensed_datasets_print_where_to_request_and_where_to_put_them(server, tmp_path, capsys, access):
    info = _info(access=access)
    target = tmp_path / "deap"
    assert download.fetch("toy", target, info=info) == target
    out = capsys.readouterr().out
    for expected in ("https://example.invalid/toy/request", str(target), "Toy licence 1.0",
                     "clips/*.txt, labels.csv", "root="):
        assert expected in out
    assert server.requests == [] and not target.exists()


def test_generated_datasets_say_load_builds_them(tmp_path, capsys):
    download.fetch("toy", tmp_path / "gen", info=_info(access="generated"))
    out = capsys.readouterr().out
    assert "generated" in out and "load('toy')" in out
    assert not (tmp_path / "gen").exists()


def test_open_datasets_without_download_files_say_where_to_get_them(tmp_path, capsys):
    download.fetch("toy", tmp_path / "toy", info=_info())
    out = capsys.readouterr().out
    assert "https://example.invalid/toy" in out and str(tmp_path / "toy") in out


# --------------------------------------------------------------------------- offline


def test_an_unreachable_server_fails_at_once_saying_what_to_do(server, tmp_path):
    with socket.socket() as probe:                        # a port on 127.0.0.1 that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/files/toy.zip"
    info = _info(DownloadFile(url=url, filename="toy.zip", sha256="", size_bytes=0, extract=True))
    target = tmp_path / "toy"
    start = time.perf_counter()
    with pytest.raises(DatasetNotAvailableError) as caught:
        download.fetch("toy", target, info=info, progress=False)
    assert time.perf_counter() - start < 5
    message = str(caught.value)
    assert url in message and str(target) in message and "connection" in message
    assert _listing(target) == []


def test_a_missing_file_on_the_server_names_the_http_status(server, tmp_path):
    info = _info(DownloadFile(url=f"{server.base}/nothing.zip", filename="nothing.zip"))
    with pytest.raises(DatasetNotAvailableError, match="HTTP 404"):
        download.fetch("toy", tmp_path, info=info, progress=False)
    assert _listing(tmp_path) == []


def test_registry_file_names_must_be_plain_names(server, tmp_path):
    info = _info(DownloadFile(url=f"{server.base}/files/x", filename="../x.bin"))
    with pytest.raises(DatasetFormatError, match="plain file name"):
        download.fetch("toy", tmp_path, info=info, progress=False)
    assert server.requests == []


def test_archives_sharing_top_level_folders_are_merged(tmp_path):
    """RAVDESS ships speech and song zips that both hold Actor_01/...: the second must not wipe the first."""
    import zipfile

    from mer_lessons.data import download

    speech, song = tmp_path / "speech.zip", tmp_path / "song.zip"
    with zipfile.ZipFile(speech, "w") as zf:
        zf.writestr("Actor_01/03-01-01-01-01-01-01.wav", b"speech")
        zf.writestr("Actor_01/same.txt", b"old")
    with zipfile.ZipFile(song, "w") as zf:
        zf.writestr("Actor_01/03-02-01-01-01-01-01.wav", b"song")
        zf.writestr("Actor_01/same.txt", b"new")
    target = tmp_path / "ravdess"
    download.extract_archive(speech, target)
    download.extract_archive(song, target)
    names = sorted(p.name for p in (target / "Actor_01").iterdir())
    assert names == ["03-01-01-01-01-01-01.wav", "03-02-01-01-01-01-01.wav", "same.txt"]
    assert (target / "Actor_01" / "same.txt").read_bytes() == b"new"
    assert not [p for p in target.iterdir() if p.name.startswith(".")]  # no staging left behind
