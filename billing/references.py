"""The references a bank transfer carries, so a statement line finds what it pays.

- `KG` + the brief's number (at least six digits) + two check digits (ISO 7064 mod 97-10, as an
  IBAN's): a startup's payment for a brief. A mistyped digit fails the check instead of paying
  another brief.
- `KGR<id>`: finance paying a refund back; `KGP<id>`: one expert's payout.
Pure functions: no ORM.
"""

import re

from stdnum.iso7064 import mod_97_10

_BRIEF = re.compile(r"KG(\d{8,20})(?![\d])")
_REFUND = re.compile(r"KGR(\d{1,19})(?![\d])")
_PAYOUT = re.compile(r"KGP(\d{1,19})(?![\d])")


def brief_reference(brief_id: int) -> str:
    digits = f"{brief_id:06d}"
    return f"KG{digits}{mod_97_10.calc_check_digits(digits)}"


def _compact(text: str) -> str:
    """Upper case, without the spaces, dashes and dots people type inside a reference."""
    return re.sub(r"[\s\-_.·/]", "", text or "").upper()


def brief_id_in(text: str) -> int | None:
    """The brief a memo names by a valid reference (the first one), or None."""
    for match in _BRIEF.finditer(_compact(text)):
        digits = match.group(1)
        if mod_97_10.is_valid(digits):
            return int(digits[:-2])
    return None


def refund_id_in(text: str) -> int | None:
    match = _REFUND.search(_compact(text))
    return int(match.group(1)) if match else None


def payout_id_in(text: str) -> int | None:
    match = _PAYOUT.search(_compact(text))
    return int(match.group(1)) if match else None
