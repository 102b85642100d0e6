"""How a startup pays: one interface for every payment method.

Bank transfer (对公转账) is the real default: the startup is shown the platform's account and the
brief's reference, and money arrives on the platform's bank statement. Online providers (Alipay,
WeChat Pay) come later as more `PaymentProvider`s. The development provider pays at once with no
real money: it is enabled only by local and test settings (production refuses it at start-up),
and every page it appears on says so.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from billing.models import Method


@dataclass(frozen=True)
class PaymentProvider:
    method: str
    label: str
    #: Money arrives at once (the provider confirms it); else finance confirms it.
    instant: bool
    #: A development stand-in that moves no real money.
    development_only: bool = False


PROVIDERS = {
    Method.BANK_TRANSFER: PaymentProvider(
        Method.BANK_TRANSFER, _("Bank transfer (对公转账)"), instant=False
    ),
    Method.DEV: PaymentProvider(
        Method.DEV,
        _("Development provider: no real money"),
        instant=True,
        development_only=True,
    ),
}


def provider_enabled(method: str) -> bool:
    return method in settings.KAIGAN_PAYMENT_METHODS and method in PROVIDERS


def enabled_providers() -> list[PaymentProvider]:
    return [PROVIDERS[m] for m in settings.KAIGAN_PAYMENT_METHODS if m in PROVIDERS]


def platform_bank_account() -> dict:
    """The account a startup transfers to, as the settings give it."""
    return {
        "name": settings.KAIGAN_BANK_ACCOUNT_NAME,
        "bank": settings.KAIGAN_BANK_NAME,
        "number": settings.KAIGAN_BANK_ACCOUNT_NUMBER,
    }
