from django.conf import settings
from django.core.checks import Error, register

from marketplace.pricing import PricingError, check_fee_rule


@register()
def fee_settings_check(app_configs, **kwargs):
    """Refuse to start with a fee setting the platform does not use."""
    try:
        check_fee_rule(
            settings.KAIGAN_FEE_PERCENT, settings.KAIGAN_FEE_FLOOR, settings.KAIGAN_FEE_CAP
        )
    except (PricingError, ArithmeticError) as exc:
        return [
            Error(
                f"Platform fee settings are out of range: {exc}",
                hint="KAIGAN_FEE_PERCENT is 0–50; KAIGAN_FEE_FLOOR ≤ KAIGAN_FEE_CAP, whole CNY.",
                id="kaigan.E001",
            )
        ]
    return []
