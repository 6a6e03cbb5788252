"""Money is Decimal with two places, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
MONEY_SQL_TYPE = "DECIMAL(18,2)"
# A plain decimal number as shops export it: optional sign, digits, optional fraction.
MONEY_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


def to_money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)


def money_str(value: Decimal | int | str | None) -> str:
    """The JSON form of an amount: a string with two decimals ("1234.50")."""
    return f"{to_money(value if value is not None else 0):.2f}"
