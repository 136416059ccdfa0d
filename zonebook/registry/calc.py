"""Pure checks for registry identifiers (no Django imports)."""

from __future__ import annotations

# GB 32100-2015 统一社会信用代码: 18 characters from this alphabet (no I, O, S, V, Z).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

FULLWIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"}


def normalize_code(value: str) -> str:
    """Upper-case, strip blanks and turn full-width letters/digits into ASCII."""
    return (value or "").translate(FULLWIDTH).strip().replace(" ", "").upper()


def uscc_check_char(first17: str) -> str:
    """The 18th character of a USCC: C18 = 31 - (Σ Ci·Wi mod 31), 31 → 0."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_error(value: str) -> str | None:
    """None when valid, else a short English reason (translated by the caller)."""
    code = normalize_code(value)
    if len(code) != 18:
        return "length"
    bad = [c for c in code if c not in USCC_ALPHABET]
    if bad:
        return "characters"
    if uscc_check_char(code[:17]) != code[17]:
        return "checksum"
    return None


def make_uscc(dept: str, org_type: str, region: str, org9: str) -> str:
    """Build a valid USCC from its parts (used by demo data and tests)."""
    first = f"{dept}{org_type}{region}{org9}"
    assert len(first) == 17
    return first + uscc_check_char(first)


def customs_code_error(value: str) -> str | None:
    code = normalize_code(value)
    if len(code) != 10:
        return "length"
    if not code.isalnum():
        return "characters"
    return None


def mask_phone(phone: str) -> str:
    """138****5678 style masking for lists and exports."""
    digits = phone or ""
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
