"""Downloading and checking data files: HTTP with MD5 verification and atomic writes.

A file appears under its final name only once it is complete and its checksum matches: bytes go
to a temporary file in the same folder, which is ``os.replace``d into place; on any failure the
temporary file is removed, so nothing is ever half-written.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request

__all__ = ["md5sum", "check_md5", "download_url", "download_from_mirrors", "atomic_write",
           "open_maybe_gzip", "read_maybe_gzip", "extract_tar"]

_CHUNK = 1 << 20


def md5sum(path: str) -> str:
    """The MD5 hex digest of a file (MD5 because that is what dataset publishers list)."""
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def check_md5(path: str, md5: str | None) -> bool:
    return md5 is None or md5sum(path) == md5.lower()


@contextlib.contextmanager
def atomic_write(path: str, mode: str = "wb"):
    """Write ``path`` through a temporary file that replaces it only if the block succeeds."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".part",
                               dir=folder)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def download_url(url: str, root: str, filename: str | None = None, md5: str | None = None,
                 timeout: float = 60.0) -> str:
    """Fetch ``url`` into ``root/filename`` unless a file with the right MD5 is already there.

    Raises ``RuntimeError`` on a network error, an interrupted transfer or a checksum mismatch;
    in each case nothing is left under ``filename``. Returns the file's path."""
    filename = filename or os.path.basename(url.split("?")[0])
    path = os.path.join(root, filename)
    if os.path.isfile(path) and check_md5(path, md5):
        return path
    h = hashlib.md5(usedforsecurity=False)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            expected = response.headers.get("Content-Length")
            expected = int(expected) if expected else None
            got = 0
            with atomic_write(path) as out:
                while True:
                    try:
                        block = response.read(_CHUNK)
                    except Exception as exc:  # http.client.IncompleteRead, reset connection
                        raise RuntimeError(
                            f"download of {url} was interrupted after {got} bytes"
                            + (f" of {expected}" if expected else "") + f": {exc!r}") from exc
                    if not block:
                        break
                    got += len(block)
                    h.update(block)
                    out.write(block)
                if expected is not None and got != expected:
                    raise RuntimeError(f"download of {url} was interrupted after {got} of "
                                       f"{expected} bytes")
                if md5 is not None and h.hexdigest() != md5.lower():
                    raise RuntimeError(f"checksum mismatch for {filename} downloaded from {url}: "
                                       f"expected MD5 {md5.lower()}, got {h.hexdigest()}; the file "
                                       "was not kept")
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"could not download {url}: HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise RuntimeError(f"could not download {url}: {exc.reason}") from exc
    except (OSError, ValueError) as exc:  # timeouts, resets, bad URLs
        raise RuntimeError(f"could not download {url}: {exc}") from exc
    return path


def download_from_mirrors(mirrors, root: str, filename: str, md5: str | None,
                          timeout: float = 60.0) -> str:
    """Try each mirror (a base URL ending in '/') in turn; raise listing every failure."""
    errors = []
    for base in mirrors:
        try:
            return download_url(base + filename, root, filename, md5, timeout=timeout)
        except RuntimeError as exc:
            errors.append(str(exc))
    raise RuntimeError(f"could not download {filename} from any mirror:\n  " + "\n  ".join(errors))


def open_maybe_gzip(path: str):
    """Open ``path`` for reading bytes, through gzip when it ends in '.gz'."""
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def read_maybe_gzip(path: str) -> bytes:
    """All bytes of ``path`` (decompressed if '.gz'), with a clear error for a corrupt archive."""
    try:
        with open_maybe_gzip(path) as f:
            return f.read()
    except (gzip.BadGzipFile, EOFError, OSError) as exc:
        if not path.endswith(".gz") or isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"{path} is not a valid gzip file (corrupt or truncated: {exc}); delete "
                         "it and download it again") from exc
    except Exception as exc:  # zlib.error
        raise ValueError(f"{path} is not a valid gzip file (corrupt: {exc}); delete it and "
                         "download it again") from exc


def extract_tar(archive: str, dest: str, members_under: str) -> str:
    """Extract the regular files of ``archive`` under ``members_under`` into ``dest`` atomically.

    Files are extracted into a temporary folder beside ``dest/members_under`` which is then renamed
    into place; links, devices and paths leaving the folder are refused. Returns the folder."""
    final = os.path.join(dest, members_under)
    tmp = tempfile.mkdtemp(prefix="." + members_under + ".", dir=dest)
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar.getmembers():
                name = member.name
                if not (name == members_under or name.startswith(members_under + "/")):
                    continue
                rel = os.path.normpath(name[len(members_under):].lstrip("/"))
                if member.isdir() or rel == ".":
                    continue
                if not member.isfile() or rel.startswith("..") or os.path.isabs(rel):
                    raise ValueError(f"{archive}: refusing to extract {name!r} (not a plain file "
                                     "inside the data folder)")
                target = os.path.join(tmp, rel)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with tar.extractfile(member) as src, open(target, "wb") as out:
                    while True:
                        block = src.read(_CHUNK)
                        if not block:
                            break
                        out.write(block)
        if os.path.isdir(final):
            shutil.rmtree(final)
        os.replace(tmp, final)
    except (tarfile.TarError, EOFError, OSError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ValueError(f"{archive} is not a valid tar archive (corrupt or truncated: {exc})") \
            from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
