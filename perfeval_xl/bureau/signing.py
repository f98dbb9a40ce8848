"""SM2 signatures over SM3 (国密) for exported workbooks: keys, the bureau's registry, sign, check.

The finance bureau issues each unit a key pair (``perfeval-xl keys issue``): the private key goes
to the unit (one small JSON file), the public key into the bureau's registry (a JSON file it
keeps: unit name → public keys). ``export`` signs the canonical form of the workbook (the same
text the stamp hashes, see stamp.py) when the unit's key is given or installed; ``verify`` and
``collect`` check the signature against the registry under the unit name written in the file.

Library: gmssl (pure Python, BSD, installs offline on Windows with pycryptodomex wheels). Two of
its sharp edges are worked around here: its ``random_hex`` uses the non-cryptographic ``random``
module, so the nonce k and private keys come from ``secrets``; and its constructor strips the
characters "0"/"4" from a public key beginning with "04", so the key is set after construction.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path

from gmssl import sm2

from perfeval_xl.book import BookError

_N = int(sm2.default_ecc_table["n"], 16)
KEY_SUFFIX = ".sm2key.json"


def sm3(data: bytes) -> bytes:
    """SM3 digest; OpenSSL's when Python has it (fast), gmssl's pure-Python one otherwise."""
    try:
        return hashlib.new("sm3", data).digest()
    except ValueError:
        from gmssl import func
        from gmssl import sm3 as gm

        return bytes.fromhex(gm.sm3_hash(func.bytes_to_list(data)))


def _crypt(private_hex: str | None, public_hex: str) -> sm2.CryptSM2:
    c = sm2.CryptSM2(private_key=private_hex, public_key="")
    c.public_key = public_hex  # 128 hex digits (x‖y), set directly: see the module docstring
    return c


def key_id(public_hex: str) -> str:
    return sm3(bytes.fromhex(public_hex)).hex()[:16]


def new_key_pair() -> tuple[str, str]:
    d = secrets.randbelow(_N - 2) + 1
    private_hex = f"{d:064x}"
    public_hex = _crypt(private_hex, "")._kg(d, sm2.default_ecc_table["g"])
    return private_hex, public_hex


def sign(private_hex: str, public_hex: str, message: bytes) -> str:
    """r‖s in hex over SM3(Z‖SM3(message)), Z binding the signer's public key."""
    c = _crypt(private_hex, public_hex)
    digest = sm3(message)
    while True:  # a nonce giving r = 0 or s = 0 is drawn again (probability ~2⁻²⁵⁶)
        sig = c.sign_with_sm3(digest, f"{secrets.randbelow(_N - 1) + 1:064x}")
        if sig:
            return sig


def check(public_hex: str, signature: str, message: bytes) -> bool:
    try:
        return bool(_crypt(None, public_hex).verify_with_sm3(signature, sm3(message)))
    except (ValueError, TypeError, IndexError):
        return False


# ----------------------------------------------------------------------------- key files
def default_key_dir() -> Path:
    """Where a unit's key is installed: %USERPROFILE%\\.perfeval-xl\\keys (~/.perfeval-xl/keys)."""
    home = os.environ.get("PERFEVAL_HOME") or os.environ.get("USERPROFILE") or str(Path.home())
    return Path(home) / ".perfeval-xl" / "keys"


def safe_name(unit: str) -> str:
    return "".join(ch for ch in unit if ch not in '\\/:*?"<>|').strip() or "单位"


def issue(unit: str, out_dir: Path, registry: Path) -> tuple[Path, Path]:
    """A new key pair for ``unit``: the private key file in ``out_dir``, the public key added
    to ``registry`` (created if missing). Returns both paths."""
    from perfeval_xl.files import atomic_write

    unit = unit.strip()
    if not unit:
        raise BookError("请用 --unit 给出单位名称")
    private_hex, public_hex = new_key_pair()
    key = {"unit": unit, "algorithm": "SM2/SM3", "key_id": key_id(public_hex),
           "private_key": private_hex, "public_key": public_hex}
    key_path = Path(out_dir) / (safe_name(unit) + KEY_SUFFIX)
    if key_path.exists():
        raise BookError(f"密钥文件已存在：{key_path}（为避免覆盖单位正在使用的密钥，请先移走）")
    reg = load_registry(registry) if Path(registry).exists() else {}
    reg.setdefault(unit, []).append(public_hex)
    text = lambda data: (lambda tmp: tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8"))
    atomic_write(key_path, text(key))
    atomic_write(Path(registry), text({"algorithm": "SM2/SM3", "units": reg}))
    return key_path, Path(registry)


class UnitKey:
    def __init__(self, unit: str, private_hex: str, public_hex: str):
        self.unit, self.private_hex, self.public_hex = unit, private_hex, public_hex


def load_key(path: Path) -> UnitKey:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return UnitKey(str(data["unit"]), str(data["private_key"]), str(data["public_key"]))
    except FileNotFoundError:
        raise BookError(f"密钥文件不存在：{path}") from None
    except (ValueError, KeyError, TypeError):
        raise BookError(f"不是有效的单位密钥文件：{path}") from None


def installed_key(unit: str) -> UnitKey | None:
    path = default_key_dir() / (safe_name(unit) + KEY_SUFFIX)
    return load_key(path) if path.exists() else None


def load_registry(path: Path) -> dict[str, list[str]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return {str(k): [str(x) for x in v] for k, v in data["units"].items()}
    except FileNotFoundError:
        raise BookError(f"公钥登记表不存在：{path}") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BookError(f"不是有效的公钥登记表：{path}") from None


def signature_status(registry: dict[str, list[str]] | None, unit: str, signature: str | None,
                     message: bytes) -> str:
    """未签名 / 签名有效 / 签名无效 / 无法核验签名（…）, for the unit named in the stamp.
    ``registry`` is keyed by normalised names (units.normalised_registry)."""
    from perfeval_xl.bureau.units import normalise

    keys = registry.get(normalise(unit)) if registry else None
    if not signature:  # a unit that has a key signs: an unsigned file in its name is a forgery
        return "签名无效（该单位已登记公钥，文件却未签名）" if keys else "未签名"
    if registry is None:
        return "无法核验签名（未提供公钥登记表）"
    if not keys:
        return f"签名无效（登记表中没有“{unit}”的公钥）"
    return "签名有效" if any(check(k, signature, message) for k in keys) else "签名无效"
