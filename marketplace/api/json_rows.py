"""The brief list and the match list as PostgreSQL renders them (kaigan.api.json_rows).

Each statement mirrors an output serializer: BRIEF_ROWS is BriefOutputSerializer, MATCH_ROWS is
MatchOutputSerializer, field for field and in the same order. A field added to a serializer
must be added here: tests/test_json_rows.py compares both on rows of every shape.
"""

import functools

from django.conf import settings

from kaigan.api.json_rows import iso_date, iso_datetime
from marketplace.models import Match, Quote

_CURRENT = ", ".join(f"'{status}'" for status in Match.CURRENT_STATUSES)
_CURRENT_QUOTE = ", ".join(f"'{status}'" for status in (Quote.Status.OFFERED, Quote.Status.AGREED))

_EXPERT = (
    "json_build_object('id', e.id, 'display_name', e.display_name,"
    " 'tag', (SELECT slug FROM experts_tag WHERE id = e.tag_id))"
)


def brief_rows() -> str:
    """SQL of the briefs whose ids `{ids}` selects, newest first (the list's order)."""
    return _brief_rows(int(settings.KAIGAN_REMATCH_PROMISE.total_seconds()))


@functools.cache
def _brief_rows(promise_seconds: int) -> str:
    quote = (
        "json_build_object('id', q.id, 'version', q.version, 'status', q.status,"
        " 'scope_days', q.scope_days::text, 'fixed_price', q.fixed_price,"
        " 'day_rate', q.day_rate, 'expert_earnings', q.expert_earnings,"
        " 'platform_fee', q.platform_fee, 'fee_percent', q.fee_percent::text,"
        " 'fee_waived', q.fee_waived, 'total', q.total,"
        f" 'created_at', {iso_datetime('q.created_at')},"
        f" 'agreed_at', {iso_datetime('q.agreed_at')})"
    )
    promised_by = f"b.rematch_started_at + interval '{promise_seconds} seconds'"
    row = (
        "json_build_object("  # noqa: S608 - constants only; values are parameters
        "'id', b.id, 'title', b.title, 'description', b.description,"
        " 'tag', (SELECT slug FROM experts_tag WHERE id = b.tag_id),"
        " 'budget_min', b.budget_min, 'budget_max', b.budget_max,"
        f" 'deadline', {iso_date('b.deadline')},"
        " 'campaign', (SELECT name FROM marketplace_campaign WHERE id = b.campaign_id),"
        " 'status', b.status,"
        " 'startup', (SELECT coalesce(nullif(s.company_name, ''), owner.email)"
        "  FROM marketplace_startup s JOIN accounts_user owner ON owner.id = s.owner_id"
        "  WHERE s.id = b.startup_id),"
        " 'pm', (SELECT json_build_object("
        "  'id', pm.id, 'name', coalesce(nullif(pm.name, ''), pm.email))"
        "  FROM accounts_user pm WHERE pm.id = b.pm_id),"
        " 'current_expert', live.expert, 'quote', live.quote,"
        " 'rematch_count', b.rematch_count,"
        f" 'rematch_started_at', {iso_datetime('b.rematch_started_at')},"
        f" 'rematch_promised_by', {iso_datetime(f'({promised_by})')},"
        " 'version', b.version,"
        f" 'created_at', {iso_datetime('b.created_at')},"
        f" 'updated_at', {iso_datetime('b.updated_at')},"
        f" 'status_changed_at', {iso_datetime('b.status_changed_at')})"
    )
    return (
        f"SELECT count(*) AS n, json_agg({row} ORDER BY b.created_at DESC, b.id DESC) AS rows"  # noqa: S608
        " FROM z CROSS JOIN marketplace_brief b"
        # At most one current match per brief (Match.CURRENT_STATUSES), and one current quote
        # per match (a constraint).
        f" LEFT JOIN LATERAL (SELECT {_EXPERT} AS expert,"
        f"  (SELECT {quote} FROM marketplace_quote q"
        f"   WHERE q.match_id = m.id AND q.status IN ({_CURRENT_QUOTE})) AS quote"
        "  FROM marketplace_match m JOIN experts_expert e ON e.id = m.expert_id"
        f"  WHERE m.brief_id = b.id AND m.status IN ({_CURRENT})) AS live ON true"
        " WHERE b.id IN ({ids})"
    )


@functools.cache
def match_rows() -> str:
    """SQL of the matches whose ids `{ids}` selects, by round then rank (the list's order)."""
    row = (
        "json_build_object("
        "'id', m.id, 'brief', m.brief_id, 'status', m.status, 'round', m.round,"
        " 'rank', m.rank, 'score', m.score, 'breakdown', m.breakdown, 'pm_note', m.pm_note,"
        f" 'expert', {_EXPERT},"
        f" 'created_at', {iso_datetime('m.created_at')},"
        f" 'decided_at', {iso_datetime('m.decided_at')},"
        f" 'invited_at', {iso_datetime('m.invited_at')},"
        f" 'expires_at', {iso_datetime('m.expires_at')})"
    )
    return (
        f"SELECT count(*) AS n, json_agg({row} ORDER BY m.round, m.rank, m.id) AS rows"  # noqa: S608
        " FROM z CROSS JOIN marketplace_match m JOIN experts_expert e ON e.id = m.expert_id"
        " WHERE m.id IN ({ids})"
    )
