"""What must never reach a log line or an error report: email addresses, API tokens, session
and password-reset keys, passwords, message bodies.

One function, `scrub`, takes any value (a string, a dict, a list) and returns it with those
replaced; the log processor (`kaigan.ops.logs`) and Sentry's `before_send`
(`kaigan.ops.sentry`) both use it.
"""

import re

REDACTED = "[redacted]"

# Keys whose values are secret or personal whatever they hold.
SECRET_KEYS = frozenset(
    {
        "password",
        "password1",
        "password2",
        "old_password",
        "new_password",
        "token",
        "key",
        "auth_token",
        "authorization",
        "cookie",
        "set-cookie",
        "csrftoken",
        "csrfmiddlewaretoken",
        "sessionid",
        "email",
        "user_email",
        "body",
        "message_body",
        "comment",
        "review",
        "note",
        "tax_id",
        "bank",
        "account_number",
        "phone",
        "ip",
    }
)

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# `Authorization: Token <key>` / `Bearer <key>`, and bare keys: 20+ hex characters (DRF tokens
# are 40), or long URL-safe base64 runs (allauth and Django's reset and session keys).
_AUTH_HEADER = re.compile(r"\b(Token|Bearer|Basic)\s+[A-Za-z0-9._~+/=\-]+", re.IGNORECASE)
_HEX_KEY = re.compile(r"\b[0-9a-fA-F]{20,}\b")
# (No hyphen: a request id, a UUID, stays readable.)
_LONG_KEY = re.compile(r"\b(?=[A-Za-z0-9_]*\d)(?=[A-Za-z0-9_]*[A-Za-z])[A-Za-z0-9_]{32,}\b")
# allauth's password-reset and email-confirmation links: /…/key/<uid>-<key>/, /confirm-email/<key>/
_KEY_PATH = re.compile(r"(/(?:key|confirm-email)/)[^/\s?#\"']+")


def scrub_text(text: str) -> str:
    text = _KEY_PATH.sub(r"\1" + REDACTED, text)
    text = _EMAIL.sub("[email]", text)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _HEX_KEY.sub(REDACTED, text)
    return _LONG_KEY.sub(REDACTED, text)


def scrub(value, *, _depth: int = 0):
    """`value` with every secret or personal part replaced (containers are copied)."""
    if _depth > 8:
        return REDACTED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {
            key: (
                REDACTED
                if isinstance(key, str) and key.lower() in SECRET_KEYS and value[key] is not None
                else scrub(value[key], _depth=_depth + 1)
            )
            for key in value
        }
    if isinstance(value, list | tuple):
        return type(value)(scrub(item, _depth=_depth + 1) for item in value)
    return value
