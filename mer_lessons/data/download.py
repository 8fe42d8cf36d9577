"""Downloading the open datasets of the registry: ``fetch(name)``.

``fetch("meld")`` reads the dataset's ``[[meld.files]]`` entries in
``datasets/registry.toml`` and, for each file:

1. downloads it into ``<file>.part`` next to its final place, with a progress bar; an
   interrupted download resumes where it stopped (HTTP ``Range``) when the server allows
   it, and restarts cleanly when it does not (or when it resumes at another offset than
   asked). A transfer is complete only when as many bytes arrived as announced (the
   server's Content-Length or Content-Range total, else the registry's ``size_bytes``);
   fewer raise :class:`IncompleteDownloadError` ("stopped after N of M bytes") and keep
   the ``.part`` for the next ``fetch``;
2. checks its size, sha256 and md5 against the registry (a mismatch raises
   :class:`ChecksumError` and deletes the file). A file that no published value confirms
   (no sum and no size in the registry) is kept but recorded as ``"verified": false`` in
   the marker, and a one-line note prints its measured sha256 so a maintainer can add it;
3. unpacks archives (zip, tar, tar.gz/tgz, tar.bz2, tar.xz) safely: members with absolute
   paths, ``..`` components, links that leave the folder or writes through links, and
   device files are refused with :class:`UnsafeArchiveError`; the archive is unpacked into
   a temporary folder inside the dataset folder and its entries are moved into place with
   ``os.replace`` only when everything succeeded.

A finished dataset gets a marker file, ``.fetched.json`` (files, urls, sums, ``verified``), so a second
``fetch`` is a no-op unless ``force=True``. Datasets under a licence agreement ("eula",
"request") are never downloaded: ``fetch`` prints where to request them and where to put
the files. Offline, or when the server fails, ``fetch`` stops at once with
:class:`DatasetNotAvailableError` saying what to do; only a resumable ``.part`` is left.

Standard library (urllib, hashlib, zipfile, tarfile) plus tqdm. Taught in
``04_emotion_models_and_datasets``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import http.client
import json
import os
import re
import shutil
import stat
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable
from pathlib import Path

from mer_lessons.data.core import DatasetInfo, DownloadFile, _check_download_file, dataset_info
from mer_lessons.data.errors import (
    ChecksumError,
    DatasetFormatError,
    DatasetNotAvailableError,
    UnsafeArchiveError,
)
from mer_lessons.environment import data_dir

#: Name of the marker file written into a dataset folder once every file is in place.
MARKER = ".fetched.json"

#: Prefix of the temporary folders archives are unpacked into (inside the dataset folder).
_STAGING_PREFIX = ".extract-"

#: Longest wait for a server to accept the connection, in seconds.
CONNECT_TIMEOUT = 10.0

#: Seconds to wait before resuming a transfer that broke off (times the attempt number).
RETRY_PAUSE = 1.0

_CHUNK = 1 << 16
_USER_AGENT = "mer-lessons-fetch/1 (+https://github.com/mer-lessons/mer-lessons; python urllib)"


# --------------------------------------------------------------------------- fetch


def fetch(name: str, root: str | Path | None = None, *, force: bool = False, progress: bool = True,
          timeout: float = 30, retries: int = 2, info: DatasetInfo | None = None) -> Path:
    """Download, check and unpack an open dataset; return the folder it is in.

    Parameters
    ----------
    name : registry name, e.g. ``"meld"``.
    root : folder to put the dataset in (default: ``<data dir>/<name>``, i.e.
        ``~/.cache/mer_lessons/<name>`` or ``$MER_LESSONS_DATA/<name>``).
    force : download and unpack again even if the folder holds a finished download.
    progress : show a progress bar per file.
    timeout : seconds without data before a download counts as stalled (the connection
        itself must open within ``min(timeout, CONNECT_TIMEOUT)`` seconds).
    retries : how often one call resumes a transfer that broke off midway (a server that
        cannot be reached at all fails at once, without retrying).
    info : the registry entry to use instead of looking ``name`` up (for tests and for
        mirrors).

    Returns
    -------
    Path of the dataset folder. For "eula"/"request" datasets nothing is downloaded: a
    message says where to request access and where to put the files, and the folder is
    returned. For "generated" datasets a message says that ``load(name)`` builds them.

    Raises
    ------
    DatasetNotAvailableError : offline, the server refused, or the transfer broke off (run
        ``fetch`` again: a partial ``.part`` download resumes); :class:`IncompleteDownloadError`
        (a subclass) when fewer bytes arrived than announced.
    DatasetFormatError : a registry entry's sha256 / md5 / size_bytes is malformed.
    ChecksumError : a file's size, sha256 or md5 differs from the registry's (the file is deleted).
    UnsafeArchiveError : an archive member would land outside the folder (nothing of that
        archive is moved into place).

    Taught in ``04_emotion_models_and_datasets``.
    """
    info = info if info is not None else dataset_info(name)
    target = Path(root).expanduser() if root is not None else data_dir(info.name, create=False)

    if info.access == "generated":
        print(f"'{info.name}' is generated, not downloaded: mer_lessons.data.load('{info.name}') "
              f"builds it on first use (and caches it).")
        return target
    if info.access != "open":
        print(_restricted_message(info, target))
        return target
    if not info.files:
        print(f"'{info.name}' is open, but the registry lists no file that fetch() can download. "
              f"Get it from {info.homepage} ({info.licence}) and put it in {target}, laid out as: "
              f"{info.layout or 'see its card'}; or pass root=PATH to mer_lessons.data.load().")
        return target

    marker = target / MARKER
    if not force and _finished(marker, info.files):
        if progress:
            print(f"{info.name}: already fetched into {target} (pass force=True to download again).")
        return target

    for file in info.files:
        _check_filename(file.filename, info.name)
        _check_download_file(info.name, file)
    target.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(target)
    done = {} if force else _read_marker(marker).get("files", {})
    for file in info.files:
        key = file.filename
        if not force and _in_place(done.get(key), file, target):
            continue
        archive = target / file.filename
        _download(file, archive, info=info, target=target, force=force, progress=progress,
                  timeout=timeout, retries=retries)
        measured, measured_md5, size, verified = _verify(file, archive)
        entries = [file.filename]
        if file.extract:
            try:
                entries = extract_archive(archive, target)
            except BaseException:
                archive.unlink(missing_ok=True)   # unsafe or unreadable: do not keep it around
                raise
            if file.filename not in entries:      # unpacked: the archive is not needed any more
                archive.unlink(missing_ok=True)
        done[key] = {"url": file.url, "sha256": measured, "registry_sha256": file.sha256,
                     "md5": measured_md5, "registry_md5": file.md5, "size_bytes": size,
                     "verified": verified,
                     "extracted": bool(file.extract), "entries": entries}
        _write_marker(marker, info.name, done, complete=False)
    _write_marker(marker, info.name, done, complete=True)
    if progress:
        print(f"{info.name}: ready in {target}")
    return target


def _restricted_message(info: DatasetInfo, target: Path) -> str:
    where = info.request_url or info.homepage
    kind = ("an end-user licence agreement" if info.access == "eula"
            else "a request procedure (the owners grant access on request)")
    return "\n".join([
        f"'{info.name}' ({info.title}) cannot be downloaded automatically: it is distributed under {kind}.",
        f"  Licence:  {info.licence}",
        f"  Request access at: {where}" + (f" (homepage: {info.homepage})" if where != info.homepage else ""),
        f"  Then put the files in: {target}",
        f"  laid out as: {info.layout or 'see its card, mer_lessons.data.card(' + repr(info.name) + ')'}",
        f"  (or keep them anywhere and call mer_lessons.data.load('{info.name}', root=PATH)).",
    ])


# --------------------------------------------------------------------------- marker


def _read_marker(marker: Path) -> dict:
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _same_file(record, file: DownloadFile) -> bool:
    if not isinstance(record, dict) or record.get("url") != file.url:
        return False
    if file.md5.strip() and record.get("md5") != file.md5.strip().lower():
        return False
    return not file.sha256.strip() or record.get("sha256") == file.sha256.strip().lower()


def _finished(marker: Path, files: Iterable[DownloadFile]) -> bool:
    data = _read_marker(marker)
    if not data.get("complete"):
        return False
    records = data.get("files", {})
    return all(_in_place(records.get(f.filename), f, marker.parent) for f in files)


def _in_place(record, file: DownloadFile, target: Path) -> bool:
    """The marker records this very file, and what it unpacked is still there."""
    return _same_file(record, file) and all(
        os.path.lexists(target / entry) for entry in record.get("entries", []))


def _write_marker(marker: Path, name: str, files: dict, *, complete: bool) -> None:
    payload = {"dataset": name, "complete": complete,
               "updated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
               "files": files}
    temporary = marker.with_name(marker.name + ".tmp")
    temporary.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, marker)


def _remove_stale_staging(target: Path) -> None:
    """Remove temporary unpack folders a killed fetch() left behind."""
    for leftover in target.glob(_STAGING_PREFIX + "*"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)


def _check_filename(filename: str, dataset: str) -> None:
    if not filename or "/" in filename or "\\" in filename or filename in (".", "..") \
            or filename.startswith(".") or filename == MARKER:
        raise DatasetFormatError(f"datasets/registry.toml: [{dataset}] file name {filename!r} must be a plain "
                                 "file name (no folders, not hidden)")


# --------------------------------------------------------------------------- download


def _unavailable(info: DatasetInfo, file: DownloadFile, target: Path, reason: str,
                 resumable: bool = False) -> DatasetNotAvailableError:
    again = (f" Run mer_lessons.data.fetch('{info.name}') again: the partial download "
             f"({file.filename}.part) resumes." if resumable else
             f" Check your internet connection and run mer_lessons.data.fetch('{info.name}') again.")
    unpack = " and unpack it" if file.extract else ""
    return DatasetNotAvailableError(
        f"{info.name}: could not download {file.url} ({reason}).{again} Or download it by hand from "
        f"{file.url}{unpack} into {target}" + (f" (layout: {info.layout})" if info.layout else "") + ".")


class _Interrupted(Exception):
    """The transfer broke off midway; what arrived is in the .part file.

    ``received`` / ``expected``: bytes of the whole file on disk and announced (None: unknown).
    """

    def __init__(self, reason: str, received: int | None = None, expected: int | None = None):
        super().__init__(reason)
        self.received, self.expected = received, expected


class IncompleteDownloadError(DatasetNotAvailableError):
    """Fewer bytes arrived than the server announced (or the registry lists); the ``.part`` is kept.

    Taught in ``04_emotion_models_and_datasets``.
    """


def _download(file: DownloadFile, destination: Path, *, info: DatasetInfo, target: Path, force: bool,
              progress: bool, timeout: float, retries: int) -> None:
    """Download ``file.url`` to ``destination`` via ``destination.part`` (resuming it)."""
    part = destination.with_name(destination.name + ".part")
    if force:
        part.unlink(missing_ok=True)
    destination.unlink(missing_ok=True)
    _check_free_space(file, part, target, info)
    attempt = 0
    while True:
        try:
            _transfer(file, part, progress=progress, timeout=timeout)
            break
        except _Interrupted as error:
            attempt += 1
            if attempt > retries:
                if error.received is not None and error.expected is not None and part.exists():
                    raise IncompleteDownloadError(
                        f"{info.name}: download of {file.filename} stopped after {error.received} of "
                        f"{error.expected} bytes ({error}); run fetch('{info.name}') again to resume: the "
                        f"partial download {part} is kept and resumes where it stopped. Or download it by "
                        f"hand from {file.url} into {target}.") from None
                raise _unavailable(info, file, target, str(error), resumable=part.exists()) from None
            time.sleep(RETRY_PAUSE * attempt)
        except urllib.error.HTTPError as error:
            raise _unavailable(info, file, target, f"HTTP {error.code} {error.reason}") from None
        except urllib.error.URLError as error:
            raise _unavailable(info, file, target, f"cannot reach the server: {error.reason}",
                               resumable=part.exists() and part.stat().st_size > 0) from None
        except TimeoutError as error:
            raise _unavailable(info, file, target, f"no answer within {timeout:g} s ({error})",
                               resumable=part.exists() and part.stat().st_size > 0) from None
        except (http.client.HTTPException, ConnectionError) as error:
            raise _unavailable(info, file, target, f"the connection failed: {type(error).__name__} {error}",
                               resumable=part.exists() and part.stat().st_size > 0) from None
    os.replace(part, destination)


def _check_free_space(file: DownloadFile, part: Path, target: Path, info: DatasetInfo) -> None:
    if not file.size_bytes:
        return
    have = part.stat().st_size if part.exists() else 0
    need = (file.size_bytes - have) + (file.size_bytes if file.extract else 0)
    free = shutil.disk_usage(target).free
    if need > free:
        raise DatasetNotAvailableError(
            f"{info.name}: {file.filename} needs about {need / 1e9:.1f} GB free in {target} "
            f"(download{' and unpack' if file.extract else ''}), but only {free / 1e9:.1f} GB are free. "
            "Free some space or pass root=PATH to a larger disk.")


def _open(url: str, *, offset: int, timeout: float):
    headers = {"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    response = urllib.request.urlopen(request, timeout=min(timeout, CONNECT_TIMEOUT))
    _set_read_timeout(response, timeout)
    return response


def _set_read_timeout(response, timeout: float) -> None:
    """Connect with the short timeout, then wait up to ``timeout`` for each read."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        try:
            sock.settimeout(timeout)
        except OSError:
            pass


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)
_UNSATISFIED_RANGE = re.compile(r"bytes\s+\*/(\d+)", re.IGNORECASE)


def _transfer(file: DownloadFile, part: Path, *, progress: bool, timeout: float) -> None:
    """One attempt: resume ``part`` with a Range request, or (re)start it from zero.

    The body must bring as many bytes as announced: the server's Content-Length (or the
    total of its Content-Range) or else the registry's ``size_bytes``; fewer raise
    :class:`_Interrupted` with both counts and keep ``part`` for the next attempt.
    """
    offset = part.stat().st_size if part.exists() else 0
    if file.size_bytes and offset == file.size_bytes:
        return                                    # complete already; the checksum decides
    if file.size_bytes and offset > file.size_bytes:
        part.unlink()                             # longer than the file can be: not this file
        offset = 0
    try:
        response = _open(file.url, offset=offset, timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code != 416 or not offset:
            raise
        # Range not satisfiable: either the .part is complete already, or it is not this file.
        whole = _UNSATISFIED_RANGE.search(error.headers.get("Content-Range", "") or "")
        error.close()
        if whole and int(whole.group(1)) == offset:
            return
        part.unlink()
        offset = 0
        response = _open(file.url, offset=0, timeout=timeout)

    whole_size = None                             # the file's size as the server states it
    if offset and response.status == 206:
        match = _CONTENT_RANGE.search(response.headers.get("Content-Range", "") or "")
        if not match or int(match.group(1)) != offset:
            # The server resumed somewhere else: appending would corrupt the file. Start over.
            response.close()
            part.unlink(missing_ok=True)
            offset = 0
            response = _open(file.url, offset=0, timeout=timeout)
        elif match.group(3) != "*":
            whole_size = int(match.group(3))
    if not offset or response.status != 206:      # 200: the server ignores Range, start again
        offset = 0
    mode = "ab" if offset else "wb"

    with response:
        length = response.headers.get("Content-Length")
        body = int(length) if length and length.strip().isdigit() else None
        if body is not None:
            expected = offset + body
        elif whole_size is not None:
            expected = whole_size
        else:
            expected = file.size_bytes or None    # the registry's size, when known
        received = 0
        bar = _progress_bar(file.filename, expected, offset, progress)
        read = getattr(response, "read1", response.read)
        try:
            with open(part, mode) as handle:
                if mode == "ab" and handle.tell() != offset:
                    raise _Interrupted("the partial file changed while resuming")
                while True:
                    try:
                        chunk = read(_CHUNK)           # read1: what has arrived, so a stall loses nothing
                    except (http.client.IncompleteRead, ConnectionError, TimeoutError) as error:
                        raise _Interrupted(f"the connection broke off ({type(error).__name__})",
                                           offset + received, expected) from None
                    if not chunk:
                        break
                    handle.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        finally:
            bar.close()
    if expected is not None and offset + received < expected:
        raise _Interrupted("the server closed the connection early", offset + received, expected)


def _progress_bar(filename: str, total, initial: int, progress: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024,
                desc=filename, disable=not progress, leave=True)


def _verify(file: DownloadFile, path: Path) -> tuple[str, str, int, bool]:
    """sha256, md5 (``""`` unless the registry has one), size of ``path`` and whether a
    published value (sha256, md5, or at least the size) confirmed it. A mismatch with the
    registry deletes the file and raises :class:`ChecksumError`; a file nothing confirms is
    kept, with a one-line note and its measured sha256 (for a maintainer to add)."""
    expected_sha = file.sha256.strip().lower()
    expected_md5 = file.md5.strip().lower()
    size = path.stat().st_size
    if file.size_bytes and size != file.size_bytes:
        path.unlink(missing_ok=True)
        raise ChecksumError(
            f"{file.filename}: size mismatch (expected {file.size_bytes} bytes, got {size}); "
            f"the file was deleted ({file.url}).")
    sha = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False) if expected_md5 else None
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
            if md5 is not None:
                md5.update(chunk)
    measured = sha.hexdigest()
    measured_md5 = md5.hexdigest() if md5 is not None else ""
    for kind, want, got in (("sha256", expected_sha, measured), ("md5", expected_md5, measured_md5)):
        if want and got != want:
            path.unlink(missing_ok=True)
            raise ChecksumError(
                f"{file.filename}: {kind} mismatch (expected {want}, measured {got}); the file was "
                f"deleted. It may have been corrupted in transit or changed on the server ({file.url}).")
    verified = bool(expected_sha or expected_md5 or file.size_bytes)
    if not expected_sha:
        how = ("its md5 matches the published one" if expected_md5 else
               "only its size matches the registry; it could not be verified against a published checksum"
               if file.size_bytes else
               "could not be verified against a published checksum (the registry has none for it)")
        print(f"{file.filename}: {how}; measured sha256 = {measured} ({size} bytes): add it to "
              f"datasets/registry.toml.")
    return measured, measured_md5, size, verified


# --------------------------------------------------------------------------- archives


def archive_kind(path: str | Path) -> str:
    """``"zip"`` or ``"tar"`` for a file name (or, failing that, its content).

    Taught in ``04_emotion_models_and_datasets``.
    """
    lower = Path(path).name.lower()
    if lower.endswith(".zip"):
        return "zip"
    if lower.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz")):
        return "tar"
    if Path(path).is_file():
        if zipfile.is_zipfile(path):
            return "zip"
        if tarfile.is_tarfile(path):
            return "tar"
    raise DatasetFormatError(f"{path}: not a zip or tar archive (expected .zip, .tar, .tar.gz, .tgz, .tar.bz2)")


def _unsafe(archive: Path, member: str, why: str) -> UnsafeArchiveError:
    return UnsafeArchiveError(f"{archive.name}: refusing member {member!r}: {why}; nothing was unpacked")


def _split(name: str) -> list[str]:
    return [part for part in re.split(r"[/\\]+", name) if part not in ("", ".")]


def _check_name(archive: Path, name: str, links: set[str]) -> list[str]:
    """Parts of a member name after checking it stays inside; raises UnsafeArchiveError."""
    if not name or "\x00" in name:
        raise _unsafe(archive, name, "empty name or NUL byte")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise _unsafe(archive, name, "absolute path")
    parts = _split(name)
    if ".." in parts:
        raise _unsafe(archive, name, "'..' component (path traversal)")
    for depth in range(1, len(parts)):
        if "/".join(parts[:depth]) in links:
            raise _unsafe(archive, name, f"it would be written through the link {'/'.join(parts[:depth])!r}")
    return parts


def _check_link(archive: Path, member: str, parts: list[str], target: str, links: set[str],
                *, hard: bool) -> None:
    """A link target must stay inside the folder and must not pass through another link."""
    if not target or target.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", target):
        raise _unsafe(archive, member, f"link to the absolute path {target!r}")
    stack: list[str] = [] if hard else list(parts[:-1])   # hard links are relative to the archive root
    for piece in re.split(r"[/\\]+", target):
        if piece in ("", "."):
            continue
        if piece == "..":
            if not stack:
                raise _unsafe(archive, member, f"link to {target!r} points outside the folder")
            stack.pop()
            continue
        stack.append(piece)
        if "/".join(stack) in links:
            raise _unsafe(archive, member, f"link to {target!r} passes through another link")


def check_zip(archive: Path, zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """Every member of a zip after checking it is safe to unpack.

    Taught in ``04_emotion_models_and_datasets``.
    """
    members = zf.infolist()
    links = {"/".join(_split(m.filename)) for m in members if _zip_mode(m) and stat.S_ISLNK(_zip_mode(m))}
    for member in members:
        parts = _check_name(archive, member.filename, links)
        mode = _zip_mode(member)
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            raise _unsafe(archive, member.filename, "special file (device, fifo or socket)")
        if mode and stat.S_ISLNK(mode):
            target = zf.read(member).decode("utf-8", errors="replace")
            _check_link(archive, member.filename, parts, target, links - {"/".join(parts)}, hard=False)
    return members


def _zip_mode(member: zipfile.ZipInfo) -> int:
    return (member.external_attr >> 16) & 0xFFFF if member.create_system == 3 else 0


def check_tar(archive: Path, tf: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Every member of a tar after checking it is safe to unpack.

    Taught in ``04_emotion_models_and_datasets``.
    """
    members = tf.getmembers()
    links = {"/".join(_split(m.name)) for m in members if m.issym()}
    for member in members:
        parts = _check_name(archive, member.name, links)
        if member.isdev():
            raise _unsafe(archive, member.name, "device file or fifo")
        if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            raise _unsafe(archive, member.name, f"unsupported member type {member.type!r}")
        if member.issym():
            _check_link(archive, member.name, parts, member.linkname, links - {"/".join(parts)}, hard=False)
        elif member.islnk():
            _check_link(archive, member.name, parts, member.linkname, links, hard=True)
    return members


def extract_archive(archive: str | Path, target: str | Path) -> list[str]:
    """Unpack ``archive`` safely into ``target``; return the top-level entries moved into place.

    Every member is checked first (absolute paths, ``..``, links leaving the folder or
    written through, device files raise :class:`UnsafeArchiveError` naming the member).
    The archive is unpacked into a temporary folder inside ``target``; only when all of it
    succeeded is each top-level entry moved into ``target`` with ``os.replace``. A file that
    exists already is replaced; a folder that exists already is *merged* into (several
    archives of one dataset may share top-level folders, like RAVDESS's speech and song
    zips, which both hold ``Actor_01/`` ...). On any error nothing is left behind.

    Taught in ``04_emotion_models_and_datasets``.
    """
    archive, target = Path(archive), Path(target)
    kind = archive_kind(archive)
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=target))
    try:
        unpacked = staging / "unpacked"
        unpacked.mkdir()
        try:
            if kind == "zip":
                with zipfile.ZipFile(archive) as zf:
                    _extract_zip(archive, zf, check_zip(archive, zf), unpacked)
            else:
                with tarfile.open(archive) as tf:
                    _extract_tar(archive, tf, check_tar(archive, tf), unpacked)
        except (zipfile.BadZipFile, tarfile.ReadError, EOFError) as error:
            raise DatasetFormatError(f"{archive}: a damaged or incomplete {kind} archive ({error})") from error
        entries = sorted(entry.name for entry in unpacked.iterdir())
        trash = staging / "replaced"
        trash.mkdir()
        for entry in entries:
            _move_into(unpacked / entry, target / entry, trash)
        return entries
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _move_into(source: Path, destination: Path, trash: Path) -> None:
    """Move ``source`` to ``destination``: merge folders into existing folders, replace anything else."""
    if source.is_dir() and not source.is_symlink() and destination.is_dir() and not destination.is_symlink():
        for child in sorted(source.iterdir()):
            _move_into(child, destination / child.name, trash)
        return
    if os.path.lexists(destination):
        aside = Path(tempfile.mkdtemp(dir=trash)) / destination.name
        os.replace(destination, aside)   # atomic rename aside, then into place
    os.replace(source, destination)


def _extract_zip(archive: Path, zf: zipfile.ZipFile, members: list[zipfile.ZipInfo], into: Path) -> None:
    root = into.resolve()
    for member in members:
        parts = _split(member.filename)
        if not parts:
            continue
        destination = into.joinpath(*parts)
        _inside(archive, member.filename, destination, root)
        mode = _zip_mode(member)
        if member.is_dir() or (mode and stat.S_ISDIR(mode)):
            destination.mkdir(parents=True, exist_ok=True)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        if mode and stat.S_ISLNK(mode):
            os.symlink(zf.read(member).decode("utf-8"), destination)
            continue
        with zf.open(member) as source, open(destination, "wb") as sink:
            shutil.copyfileobj(source, sink, _CHUNK)
        if mode & 0o111:
            destination.chmod(0o755)


def _inside(archive: Path, member: str, destination: Path, root: Path) -> None:
    """Last line of defence: the real path of what is written must lie inside ``root``."""
    real = Path(os.path.realpath(destination.parent)) / destination.name
    if real != root and root not in real.parents:
        raise _unsafe(archive, member, f"it resolves to {real}, outside the folder")


def _extract_tar(archive: Path, tf: tarfile.TarFile, members: list[tarfile.TarInfo], into: Path) -> None:
    root = into.resolve()
    for member in members:
        parts = _split(member.name)
        if parts:
            _inside(archive, member.name, into.joinpath(*parts), root)
    try:
        if hasattr(tarfile, "data_filter"):
            tf.extractall(into, members=members, filter="data")
        else:                                                          # Python < 3.11.4
            tf.extractall(into, members=members)
    except getattr(tarfile, "FilterError", ()) as error:             # the "data" filter's own checks
        name = getattr(getattr(error, "tarinfo", None), "name", "?")
        raise _unsafe(archive, name, f"{type(error).__name__}: {error}") from error


__all__ = ["MARKER", "IncompleteDownloadError", "archive_kind", "check_tar", "check_zip", "extract_archive", "fetch"]
