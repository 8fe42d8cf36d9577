"""Malformed input, download side: short transfers, odd resume answers, bad registry sums.

``fetch`` against the local HTTP server of ``test_data_download`` (127.0.0.1 only): a body
cut short of its Content-Length (or of the Content-Range total, or of the registry's
size) keeps the ``.part`` and raises ``IncompleteDownloadError``; a resume that the server
answers at another offset restarts from zero; a file that no published sum or size
confirms is kept but marked ``"verified": false``; malformed registry entries (sha256 /
md5 text, negative size) are refused naming the dataset, the file and the field.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path

import pytest
from test_data_download import _Handler, _info, _listing, _publish, _sha, serving, server  # noqa: F401

from mer_lessons.data import core, download
from mer_lessons.data.core import DownloadFile, read_registry
from mer_lessons.data.errors import ChecksumError, DatasetFormatError, DatasetNotAvailableError

REGISTRY = Path(__file__).resolve().parents[1] / "datasets" / "registry.toml"


# --------------------------------------------------------------------------- a server with quirks


class _Quirky(_Handler):
    """The fixture server, plus answers a correct server would not give (``state.quirk``)."""

    def do_GET(self):
        state = self.server.state
        quirk, wanted = state.quirk, self.headers.get("Range")
        if quirk is None or (quirk != "no-length" and not wanted):
            return super().do_GET()
        state.requests.append({"path": self.path, "range": wanted})
        body = state.files[self.path]
        if quirk == "no-length":                          # no Content-Length; body until close
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body[:state.cut])
        elif quirk == "wrong-start":                      # 206, but from byte 0, not the offset asked
            self.send_response(206)
            self.send_header("Content-Range", f"bytes 0-{len(body) - 1}/{len(body)}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif quirk == "range-no-length":                  # a correct 206 without Content-Length, cut
            start = int(re.fullmatch(r"bytes=(\d+)-", wanted).group(1))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.end_headers()
            self.wfile.write(body[start:start + state.cut])
        self.wfile.flush()
        self.close_connection = True


@pytest.fixture
def quirky(server):                                       # noqa: F811 (the imported fixture)
    with serving(_Quirky) as state:
        state.quirk, state.cut = None, None
        yield state


def _marker(folder: Path) -> dict:
    return json.loads((folder / download.MARKER).read_text())


DATA = bytes(range(256)) * 400                            # 102,400 bytes


# --------------------------------------------------------------------------- short transfers


def test_a_body_cut_short_of_its_content_length_keeps_the_part_and_names_both_counts(server, tmp_path):  # noqa: F811
    info = _info(_publish(server, "big.bin", DATA))
    server.drop_after = 30_000
    with pytest.raises(download.IncompleteDownloadError,
                       match=r"download of big\.bin stopped after 30000 of 102400 bytes.*again to resume"):
        download.fetch("toy", tmp_path, info=info, progress=False, retries=0)
    assert issubclass(download.IncompleteDownloadError, DatasetNotAvailableError)
    assert (tmp_path / "big.bin.part").read_bytes() == DATA[:30_000]
    assert not (tmp_path / "big.bin").exists() and not (tmp_path / download.MARKER).exists()


def test_a_cut_206_without_content_length_is_measured_against_the_content_range_total(quirky, tmp_path):
    info = _info(_publish(quirky, "big.bin", DATA))
    (tmp_path / "big.bin.part").write_bytes(DATA[:10_000])
    quirky.quirk, quirky.cut = "range-no-length", 5_000
    with pytest.raises(download.IncompleteDownloadError, match=r"big\.bin stopped after 15000 of 102400 bytes"):
        download.fetch("toy", tmp_path, info=info, progress=False, retries=0)
    assert (tmp_path / "big.bin.part").read_bytes() == DATA[:15_000]     # kept for the next resume
    quirky.quirk = None
    download.fetch("toy", tmp_path, info=info, progress=False)
    assert quirky.requests[-1]["range"] == "bytes=15000-"
    assert (tmp_path / "big.bin").read_bytes() == DATA and _marker(tmp_path)["files"]["big.bin"]["verified"]


def test_no_content_length_but_a_registry_size_a_short_body_is_incomplete_then_resumes(quirky, tmp_path):
    info = _info(_publish(quirky, "big.bin", DATA, sha="", size=len(DATA)))
    quirky.quirk, quirky.cut = "no-length", 40_000
    with pytest.raises(download.IncompleteDownloadError, match=r"stopped after 40000 of 102400 bytes"):
        download.fetch("toy", tmp_path, info=info, progress=False, retries=0)
    assert (tmp_path / "big.bin.part").stat().st_size == 40_000
    assert not (tmp_path / download.MARKER).exists()
    quirky.quirk = None
    download.fetch("toy", tmp_path, info=info, progress=False)
    assert quirky.requests[-1]["range"] == "bytes=40000-"
    record = _marker(tmp_path)["files"]["big.bin"]
    assert record["verified"] is True and record["sha256"] == _sha(DATA)  # confirmed by the size


@pytest.mark.parametrize("cut", [len(DATA), 123], ids=["whole", "cut-short"])
def test_no_content_length_and_no_sum_completes_unverified_with_a_note(quirky, tmp_path, capsys, cut):
    info = _info(_publish(quirky, "plain.bin", DATA, sha=""))
    quirky.quirk, quirky.cut = "no-length", cut
    download.fetch("toy", tmp_path, info=info, progress=False)
    record = _marker(tmp_path)["files"]["plain.bin"]
    assert record["verified"] is False and record["size_bytes"] == cut       # nothing could tell
    out = capsys.readouterr().out
    note = [line for line in out.splitlines() if "could not be verified against a published checksum" in line]
    assert len(note) == 1 and "plain.bin" in note[0] and _sha(DATA[:cut]) in note[0]


# --------------------------------------------------------------------------- resuming


def test_a_206_from_another_offset_than_asked_restarts_from_zero(quirky, tmp_path):
    info = _info(_publish(quirky, "big.bin", DATA))
    (tmp_path / "big.bin.part").write_bytes(DATA[:10_000])
    quirky.quirk = "wrong-start"
    download.fetch("toy", tmp_path, info=info, progress=False, retries=0)
    assert [r["range"] for r in quirky.requests] == ["bytes=10000-", None]
    assert (tmp_path / "big.bin").read_bytes() == DATA               # not DATA[:10000] + DATA
    assert _marker(tmp_path)["files"]["big.bin"]["verified"] is True


def test_a_correct_206_resume_is_verified_by_its_sha256(server, tmp_path):  # noqa: F811
    info = _info(_publish(server, "big.bin", DATA))
    (tmp_path / "big.bin.part").write_bytes(DATA[:25_000])
    download.fetch("toy", tmp_path, info=info, progress=False)
    assert [r["range"] for r in server.requests] == ["bytes=25000-"]
    record = _marker(tmp_path)["files"]["big.bin"]
    assert record["verified"] is True and record["sha256"] == _sha(DATA)


def test_a_part_longer_than_the_registry_size_is_deleted_and_restarted(server, tmp_path):  # noqa: F811
    info = _info(_publish(server, "big.bin", DATA, size=len(DATA)))
    (tmp_path / "big.bin.part").write_bytes(b"x" * (len(DATA) + 10))
    download.fetch("toy", tmp_path, info=info, progress=False)
    assert [r["range"] for r in server.requests] == [None]
    assert (tmp_path / "big.bin").read_bytes() == DATA


# --------------------------------------------------------------------------- md5 and size


def test_a_matching_md5_verifies_the_file_and_is_recorded(server, tmp_path, capsys):  # noqa: F811
    md5 = hashlib.md5(DATA).hexdigest()
    file = dataclasses.replace(_publish(server, "big.bin", DATA, sha=""), md5=md5.upper())
    download.fetch("toy", tmp_path, info=_info(file), progress=False)
    record = _marker(tmp_path)["files"]["big.bin"]
    assert record["verified"] is True and record["md5"] == md5 and record["sha256"] == _sha(DATA)
    assert "md5 matches" in capsys.readouterr().out
    download.fetch("toy", tmp_path, info=_info(file), progress=False)
    assert len(server.requests) == 1                                  # the marker's md5 matches: no-op


def test_an_md5_mismatch_raises_and_keeps_nothing(server, tmp_path):  # noqa: F811
    file = dataclasses.replace(_publish(server, "big.bin", DATA, sha=""), md5="0" * 32)
    with pytest.raises(ChecksumError, match=r"big\.bin: md5 mismatch \(expected 0{32}, measured [0-9a-f]{32}\)"):
        download.fetch("toy", tmp_path, info=_info(file), progress=False)
    assert _listing(tmp_path) == []


def test_a_size_mismatch_raises_even_when_the_sha256_is_known(server, tmp_path):  # noqa: F811
    info = _info(_publish(server, "big.bin", DATA, size=len(DATA) + 1))
    with pytest.raises(ChecksumError, match=r"big\.bin: size mismatch \(expected 102401 bytes, got 102400\)"):
        download.fetch("toy", tmp_path, info=info, progress=False)
    assert _listing(tmp_path) == []


# --------------------------------------------------------------------------- malformed registry entries


def _registry_with(monkeypatch, entry: str) -> None:
    text = ('[toy]\ntitle = "Toy"\naccess = "open"\nmodalities = ["audio"]\nlabels = ["valence"]\n'
            'size = "tiny"\nlicence = "none"\nhomepage = "https://example.invalid"\ncitation = "x"\n\n'
            '[[toy.files]]\nurl = "https://example.invalid/toy.zip"\nfilename = "toy.zip"\n' + entry)
    monkeypatch.setattr(core, "_registry_text", lambda: text)


BAD_ENTRIES = {
    "sha256-not-hex": ('sha256 = "' + "g" * 64 + '"\n', r"sha256 must be .*64 hexadecimal digits"),
    "sha256-too-short": ('sha256 = "' + "a" * 63 + '"\n', r"sha256 must be .*64 hexadecimal digits"),
    "sha256-an-md5": ('sha256 = "' + "a" * 32 + '"\n', r"sha256 must be .*64 hexadecimal digits"),
    "md5-too-long": ('md5 = "' + "a" * 33 + '"\n', r"md5 must be .*32 hexadecimal digits"),
    "md5-not-hex": ('md5 = "md5:' + "a" * 28 + '"\n', r"md5 must be .*32 hexadecimal digits"),
    "size-negative": ("size_bytes = -1\n", r"size_bytes must be an integer >= 0.*got -1"),
    "size-text": ('size_bytes = "1 GB"\n', r"size_bytes must be an integer >= 0.*got '1 GB'"),
    "size-bool": ("size_bytes = true\n", r"size_bytes must be an integer >= 0.*got True"),
}


@pytest.mark.parametrize("case", sorted(BAD_ENTRIES))
def test_malformed_registry_entries_are_refused_naming_dataset_file_and_field(monkeypatch, case):
    entry, message = BAD_ENTRIES[case]
    _registry_with(monkeypatch, entry)
    with pytest.raises(DatasetFormatError, match=r"\[toy\] file 'toy\.zip': " + message):
        read_registry()


def test_a_well_formed_entry_with_md5_and_size_is_read(monkeypatch):
    _registry_with(monkeypatch, 'sha256 = ""\nmd5 = "' + "A" * 32 + '"\nsize_bytes = 12\n')
    file = read_registry()["toy"].files[0]
    assert (file.md5, file.size_bytes, file.sha256) == ("A" * 32, 12, "")


def test_fetch_refuses_a_malformed_entry_passed_as_info_before_downloading(server, tmp_path):  # noqa: F811
    file = DownloadFile(url=f"{server.base}/files/x.bin", filename="x.bin", md5="not-an-md5")
    with pytest.raises(DatasetFormatError, match=r"\[toy\] file 'x\.bin': md5 must be"):
        download.fetch("toy", tmp_path, info=_info(file), progress=False)
    assert server.requests == []


# --------------------------------------------------------------------------- the real registry


def _file_blocks(text: str) -> list[tuple[str, list[str]]]:
    """``(header, lines)`` of every ``[[<name>.files]]`` table, with the comment lines just above it."""
    blocks, lines = [], text.splitlines()
    for index, line in enumerate(lines):
        if re.fullmatch(r"\[\[[\w-]+\.files\]\]", line.strip()):
            above = index
            while above > 0 and lines[above - 1].startswith("#"):
                above -= 1
            body = []
            for following in lines[index + 1:]:
                if following.startswith("["):
                    break
                body.append(following)
            blocks.append((line, lines[above:index] + body))
    return blocks


def test_every_recorded_size_or_sum_in_the_registry_names_its_source():
    blocks = _file_blocks(REGISTRY.read_text(encoding="utf-8"))
    assert len(blocks) >= 10
    recorded = 0
    for header, lines in blocks:
        for line in lines:
            match = re.match(r"\s*(sha256|md5|size_bytes)\s*=\s*(\"[^\"]*\"|\d+)", line)
            if match and match.group(2) not in ('""', "0"):
                recorded += 1
                assert re.search(r"#\s*source: https?://\S+", line), f"{header}: {line!r} has no source URL"
    assert recorded >= 4                      # RAVDESS md5 + size (two zips), EMOPIA md5


def test_the_registry_records_the_published_ravdess_and_emopia_sums():
    files = {f.filename: f for info in read_registry().values() for f in info.files}
    assert files["Audio_Speech_Actors_01-24.zip"].md5 == "bc696df654c87fed845eb13823edef8a"
    assert files["Audio_Song_Actors_01-24.zip"].md5 == "5411230427d67a21e18aa4d466e6d1b9"
    assert files["EMOPIA_2.2.zip"].md5 == "bad5171786a4898f37fc2678e99afd94"
    assert all(f.size_bytes >= 0 for f in files.values())
