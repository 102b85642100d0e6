"""Authentication classes of the API (in a module of their own: DRF imports them while its views
module loads, so they must not import views)."""

import weakref

from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from kaigan.accounts.models import ApiToken as Token
from kaigan.accounts.models import User
from kaigan.accounts.tokens import api_token_hash, api_token_touch
from kaigan.db import execute_prepared
from marketplace.models import Startup


class _TokenQuery:
    """The token, its user and the user's startup (if any), in one statement written once.

    Every API request reads them. Through the ORM (`select_related(...).get(key=...)`) the
    statement is compiled again for each request: about 0.38 ms of CPU, against 0.05 ms to send
    it and read the row (bench/LOAD.md). Here the statement is written once per connection from
    the models' own fields, prepared once per database session (kaigan.db), and each row is
    built with `Model.from_db`, as the ORM builds it.

    Only where the ORM would convert nothing: on PostgreSQL (psycopg2 returns every column of
    these tables as its Python value) and with no field that converts what it reads
    (`from_db_value`). Anywhere else `for_connection` answers None and the ORM reads.
    """

    MODELS = ((Token, "t"), (User, "u"), (Startup, "s"))

    def __init__(self, connection):
        quote = connection.ops.quote_name
        self.parts = []
        columns = []
        start = 0
        for model, alias in self.MODELS:
            fields = model._meta.concrete_fields
            columns += [f"{alias}.{quote(f.column)}" for f in fields]
            names = [f.attname for f in fields]
            self.parts.append((start, start + len(fields), names))
            start += len(fields)
        token_user = Token._meta.get_field("user").column
        token_key = Token._meta.get_field("key_hash").column
        startup_owner = Startup._meta.get_field("owner").column
        self.sql = (
            # Names from the models only; the key is a parameter.
            f"SELECT {', '.join(columns)} FROM {quote(Token._meta.db_table)} t"  # noqa: S608
            f" INNER JOIN {quote(User._meta.db_table)} u ON u.{quote('id')} = t.{quote(token_user)}"
            f" LEFT OUTER JOIN {quote(Startup._meta.db_table)} s"
            f" ON s.{quote(startup_owner)} = u.{quote('id')}"
            f" WHERE t.{quote(token_key)} = %s"
        )

    _by_connection: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()

    @classmethod
    def for_connection(cls, connection) -> "_TokenQuery | None":
        query = cls._by_connection.get(connection)
        if query is None:
            plain = connection.vendor == "postgresql" and not any(
                hasattr(field, "from_db_value")
                for model, _ in cls.MODELS
                for field in model._meta.concrete_fields
            )
            query = cls._by_connection[connection] = cls(connection) if plain else False
        return query or None

    def token(self, connection, key_hash: str) -> Token | None:
        with connection.cursor() as cursor:
            execute_prepared(cursor, self.sql, [key_hash])
            row = cursor.fetchone()
        if row is None:
            return None
        (t0, t1, t_names), (u0, u1, u_names), (s0, s1, s_names) = self.parts
        db = connection.alias
        token = Token.from_db(db, t_names, row[t0:t1])
        user = User.from_db(db, u_names, row[u0:u1])
        startup = Startup.from_db(db, s_names, row[s0:s1]) if row[s0] is not None else None
        if startup is not None:
            Startup.owner.field.set_cached_value(startup, user)
        # As select_related("user__startup") leaves them: the user and the token on each other,
        # the startup (or its absence) on the user.
        Token.user.field.set_cached_value(token, user)
        User.startup.related.set_cached_value(user, startup)
        return token


def _token_with_user(key: str) -> Token | None:
    key_hash = api_token_hash(key)
    connection = connections[Token.objects.db]
    query = _TokenQuery.for_connection(connection)
    if query is None:
        try:
            return Token.objects.select_related("user__startup").get(key_hash=key_hash)
        except Token.DoesNotExist:
            return None
    return query.token(connection, key_hash)


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication over Kaigan's API tokens (`kaigan.accounts.models.ApiToken`:
    hashed keys, a lifetime), reading the user's startup (if any) in the same query: the
    startup's briefs are then listed by its id (marketplace.selectors.brief_list_for)."""

    model = Token

    def authenticate_credentials(self, key):
        token = _token_with_user(key)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(
                _("This token has expired. Sign in again for a new one.")
            )
        api_token_touch(token=token)
        return (token.user, token)
