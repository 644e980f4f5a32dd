"""Backup files encrypted with a Fernet key (BACKUP_KEY, from the environment).

The file is a header line naming the key (the start of its SHA-256, so a wrong key is told apart
from a damaged file), then one Fernet token per line, each sealing a chunk of at most
CHUNK bytes. Fernet authenticates each token but knows nothing of its neighbours, so every
chunk starts with its number and a last-chunk flag: a file cut short, reordered or spliced
from two backups does not decrypt. Chunks keep memory flat for a database of any size.
"""
from __future__ import annotations

import hashlib
import struct

from cryptography.fernet import Fernet, InvalidToken

MAGIC = b"PORTAL-BACKUP-FERNET-1 "
CHUNK = 4 * 1024 * 1024
_HEAD = struct.Struct(">QB")  # chunk number, 1 on the last chunk


class BackupKeyError(ValueError):
    """The key is malformed or does not open this file, or the file is damaged (Indonesian message)."""


def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key)
    except (ValueError, TypeError):
        raise BackupKeyError("BACKUP_KEY bukan kunci Fernet yang sah (44 karakter base64 URL-safe). "
                             "Buat kunci baru dengan: python -c \"from cryptography.fernet import Fernet; "
                             "print(Fernet.generate_key().decode())\"") from None


def check_key(key: str) -> None:
    """Return only if `key` is a well-formed Fernet key."""
    _fernet(key)


def key_id(key: str) -> str:
    """A short public name of `key`, written in the header."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def is_encrypted(path: str) -> bool:
    """Whether `path` starts with this format's header."""
    with open(path, "rb") as f:
        return f.read(len(MAGIC)) == MAGIC


def encrypt_file(src: str, dst: str, key: str) -> None:
    """Write `src` encrypted to `dst` (which the caller created with its permissions)."""
    fernet = _fernet(key)
    with open(src, "rb") as plain, open(dst, "wb") as out:
        out.write(MAGIC + key_id(key).encode() + b"\n")
        number, chunk = 0, plain.read(CHUNK)
        while True:
            following = plain.read(CHUNK)
            out.write(fernet.encrypt(_HEAD.pack(number, 0 if following else 1) + chunk) + b"\n")
            if not following:
                return
            number, chunk = number + 1, following


def decrypt_file(src: str, dst: str, key: str) -> None:
    """Write the plaintext of `src` to `dst`, or raise BackupKeyError naming why it cannot be read."""
    fernet = _fernet(key)
    with open(src, "rb") as sealed, open(dst, "wb") as out:
        header = sealed.readline()
        if not header.startswith(MAGIC):
            raise BackupKeyError("berkas ini bukan cadangan terenkripsi portal")
        made_with = header[len(MAGIC):].strip().decode("ascii", "replace")
        if made_with != key_id(key):
            raise BackupKeyError(f"BACKUP_KEY tidak cocok dengan kunci cadangan ini (cadangan dibuat dengan kunci "
                                 f"{made_with}, BACKUP_KEY ini {key_id(key)})")
        expected, last = 0, False
        for line in sealed:
            if last:
                raise BackupKeyError("berkas cadangan berisi data setelah bagian terakhirnya")
            try:
                data = fernet.decrypt(line.rstrip(b"\n"))
            except InvalidToken:
                raise BackupKeyError(f"bagian {expected + 1} berkas cadangan rusak") from None
            number, flag = _HEAD.unpack_from(data)
            if number != expected:
                raise BackupKeyError(f"bagian berkas cadangan tidak berurutan (bagian {expected + 1})")
            out.write(data[_HEAD.size:])
            expected, last = expected + 1, flag == 1
        if not last:
            raise BackupKeyError("berkas cadangan terpotong (bagian terakhirnya tidak ada)")
