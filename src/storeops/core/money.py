"""Money is Decimal with two places, never float; shown as "€1,234.50" (format_money)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
MONEY_SQL_TYPE = "DECIMAL(18,2)"
# A plain decimal number as shops export it: optional sign, digits, optional fraction; at most
# the 16 digits before the point that DECIMAL(18,2) holds, so a larger amount is "not an amount"
# (quarantined) rather than a failed cast.
MONEY_PATTERN = r"^-?[0-9]{1,16}(\.[0-9]+)?$"
# Currencies people read by their symbol; the others are written after the amount ("12.00 CHF").
CURRENCY_SYMBOLS = {
    "EUR": "€",
    "USD": "$",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
    "CAD": "CA$",
    "AUD": "A$",
}


def to_money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)


def money_str(value: Decimal | int | str | None) -> str:
    """The JSON form of an amount: a string with two decimals ("1234.50")."""
    return f"{to_money(value if value is not None else 0):.2f}"


def currency_affixes(currency: str) -> tuple[str, str]:
    """What goes before and after an amount: ("€", "") or ("", " CHF")."""
    symbol = CURRENCY_SYMBOLS.get(currency)
    return (symbol, "") if symbol else ("", f" {currency}")


def format_money(amount: Decimal | int, currency: str) -> str:
    """ "€1,234.50", "−$3.00", or "1,234.50 CHF" for a currency without a common symbol."""
    text = f"{abs(to_money(amount)):,.2f}"
    sign = "−" if amount < 0 else ""
    prefix, suffix = currency_affixes(currency)
    return f"{sign}{prefix}{text}{suffix}"
