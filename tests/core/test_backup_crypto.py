"""The encrypted backup format: a round trip over several chunks, and a clear refusal for a wrong
key, a file cut at a chunk boundary or mid-chunk, chunks reordered, and a chunk spliced on."""
from __future__ import annotations

import os

import pytest
from cryptography.fernet import Fernet

from config import ProductionConfig
from portal.core import backup_crypto
from portal.core.backup_crypto import BackupKeyError, decrypt_file, encrypt_file

KEY = Fernet.generate_key().decode()


@pytest.fixture
def sealed(tmp_path, monkeypatch):
    """A 25-byte plaintext in chunks of 10 (three tokens); returns (plaintext, sealed path)."""
    monkeypatch.setattr(backup_crypto, "CHUNK", 10)
    plain = tmp_path / "plain"
    plain.write_bytes(os.urandom(25))
    out = tmp_path / "sealed"
    encrypt_file(str(plain), str(out), KEY)
    return plain.read_bytes(), out


def _decrypt(path, key=KEY):
    out = path.with_name("opened")
    decrypt_file(str(path), str(out), key)
    return out.read_bytes()


def test_round_trip_over_several_chunks(sealed):
    plain, out = sealed
    header, *tokens = out.read_bytes().splitlines()
    assert header == backup_crypto.MAGIC + backup_crypto.key_id(KEY).encode() and len(tokens) == 3
    assert backup_crypto.is_encrypted(str(out))
    assert _decrypt(out) == plain


def test_an_empty_file_round_trips(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    encrypt_file(str(tmp_path / "empty"), str(tmp_path / "sealed"), KEY)
    assert _decrypt(tmp_path / "sealed") == b""


def _lines(path):
    return path.read_bytes().splitlines(keepends=True)


@pytest.mark.parametrize("damage, message", [
    (lambda lines: lines[:-1], "terpotong"),
    (lambda lines: lines[:2] + [lines[2][:30] + b"\n"] + lines[3:], "bagian 2 berkas cadangan rusak"),
    (lambda lines: [lines[0], lines[2], lines[1], lines[3]], "tidak berurutan"),
    (lambda lines: lines + [lines[1]], "setelah bagian terakhirnya"),
])
def test_a_damaged_file_is_refused_by_name(sealed, damage, message):
    _, out = sealed
    out.write_bytes(b"".join(damage(_lines(out))))
    with pytest.raises(BackupKeyError, match=message):
        _decrypt(out)


def test_a_wrong_key_is_named_as_such(sealed):
    _, out = sealed
    other = Fernet.generate_key().decode()
    with pytest.raises(BackupKeyError, match=f"BACKUP_KEY tidak cocok .*{backup_crypto.key_id(other)}"):
        _decrypt(out, other)


def test_production_warns_without_a_backup_key_and_refuses_a_malformed_one(monkeypatch, caplog):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 32)
    monkeypatch.setattr(ProductionConfig, "RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/15")
    monkeypatch.setattr(ProductionConfig, "BACKUP_KEY", None)
    ProductionConfig.check()
    assert "BACKUP_KEY is not set" in caplog.text and "UNENCRYPTED" in caplog.text
    monkeypatch.setattr(ProductionConfig, "BACKUP_KEY", "rahasia")
    with pytest.raises(RuntimeError, match="BACKUP_KEY bukan kunci Fernet yang sah"):
        ProductionConfig.check()
    caplog.clear()
    monkeypatch.setattr(ProductionConfig, "BACKUP_KEY", KEY)
    ProductionConfig.check()
    assert "BACKUP_KEY" not in caplog.text
