"""Amounts of money as a person reads them: `Rp 240.000.000` in Indonesian, `IDR 240,000,000` in English."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import get_language

SYMBOLS = {"IDR": "Rp"}


def format_amount(amount, currency: str = "IDR", language: str | None = None) -> str:
    """Whole units with thousands grouped: Indonesian groups with dots and writes the symbol (Rp), any other
    language groups with commas and writes the ISO code. Fractions (sen) are kept only when not zero."""
    if amount is None or amount == "":
        return "—"
    value = Decimal(str(amount))
    language = (language or get_language() or "id").lower()
    whole = value.quantize(Decimal("1"), rounding=ROUND_HALF_UP) if value == value.to_integral_value() else value
    sign = "-" if whole < 0 else ""
    text = f"{abs(whole):,.0f}" if whole == whole.to_integral_value() else f"{abs(whole):,.2f}"
    if language.startswith("id"):
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
        return f"{sign}{SYMBOLS.get(currency, currency)} {text}"
    return f"{sign}{currency} {text}"
