"""Open prices: the expert's earnings and the platform's fee as separate lines.

One rounding rule, stated once: every amount is whole CNY, rounded half up, and it is applied
in `round_cny` only. Pure functions: no ORM.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# Scope is counted in half days, from half a day to a quarter of a year of working days.
SCOPE_DAYS_MIN = Decimal("0.5")
SCOPE_DAYS_MAX = Decimal("120")
SCOPE_STEP = Decimal("0.5")
FIXED_PRICE_MIN = 100
FIXED_PRICE_MAX = 5_000_000
FEE_PERCENT_MAX = Decimal("50")


class PricingError(ValueError):
    """An amount or a setting outside what the platform uses; `field` names what is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class FeeRule:
    percent: Decimal
    floor: int
    cap: int

    def __post_init__(self):
        check_fee_rule(self.percent, self.floor, self.cap)


@dataclass(frozen=True)
class QuoteLines:
    expert_earnings: int
    platform_fee: int
    total: int


def round_cny(amount: Decimal) -> int:
    """The platform's one rounding rule: whole CNY, half up."""
    return int(Decimal(amount).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def check_fee_rule(percent, floor, cap) -> None:
    percent = Decimal(str(percent))
    if not Decimal("0") <= percent <= FEE_PERCENT_MAX:
        raise PricingError("fee_percent", f"fee percent must be within 0–{FEE_PERCENT_MAX}")
    if not isinstance(floor, int) or not isinstance(cap, int) or floor < 0 or cap < 0:
        raise PricingError("fee_floor", "fee floor and cap are whole CNY, not negative")
    if floor > cap:
        raise PricingError("fee_cap", "the fee floor must not exceed the fee cap")


def check_scope(scope_days, fixed_price) -> tuple[Decimal | None, int | None]:
    """Exactly one of a scope in days (half-day steps) or a fixed price in whole CNY."""
    if (scope_days is None) == (fixed_price is None):
        raise PricingError("scope_days", "give either a scope in days or a fixed price")
    if scope_days is not None:
        try:
            days = Decimal(str(scope_days))
        except ArithmeticError:
            raise PricingError("scope_days", "the scope is a number of days") from None
        if not days.is_finite() or not SCOPE_DAYS_MIN <= days <= SCOPE_DAYS_MAX:
            raise PricingError("scope_days", f"the scope is {SCOPE_DAYS_MIN}–{SCOPE_DAYS_MAX} days")
        if days % SCOPE_STEP:
            raise PricingError("scope_days", "the scope is counted in half days")
        return days, None
    if isinstance(fixed_price, bool) or not isinstance(fixed_price, int):
        raise PricingError("fixed_price", "a fixed price is whole CNY")
    if not FIXED_PRICE_MIN <= fixed_price <= FIXED_PRICE_MAX:
        raise PricingError(
            "fixed_price", f"a fixed price is {FIXED_PRICE_MIN}–{FIXED_PRICE_MAX} CNY"
        )
    return None, fixed_price


def platform_fee(earnings: int, rule: FeeRule) -> int:
    """A percentage of the expert's earnings, never below the floor nor above the cap."""
    fee = round_cny(Decimal(earnings) * rule.percent / Decimal(100))
    return min(max(fee, rule.floor), rule.cap)


def quote_lines(
    *,
    day_rate: int | None,
    scope_days=None,
    fixed_price: int | None = None,
    rule: FeeRule,
    fee_waived: bool = False,
) -> QuoteLines:
    """Earnings + fee = total. `fee_waived`: the brief already paid its fee (a re-match)."""
    days, price = check_scope(scope_days, fixed_price)
    if days is not None:
        if not day_rate:
            raise PricingError("scope_days", "the expert has no day rate: use a fixed price")
        earnings = round_cny(Decimal(day_rate) * days)
    else:
        earnings = price
    fee = 0 if fee_waived else platform_fee(earnings, rule)
    return QuoteLines(expert_earnings=earnings, platform_fee=fee, total=earnings + fee)


def suggested_scope_days(*, day_rate: int | None, budget_max: int, rule: FeeRule) -> Decimal:
    """The largest half-day scope whose total fits the budget (at least half a day)."""
    if not day_rate:
        return SCOPE_DAYS_MIN
    per_day = Decimal(day_rate) * (1 + rule.percent / Decimal(100))
    days = (Decimal(budget_max) / per_day / SCOPE_STEP).to_integral_value(rounding="ROUND_FLOOR")
    return min(max(days * SCOPE_STEP, SCOPE_DAYS_MIN), SCOPE_DAYS_MAX)
