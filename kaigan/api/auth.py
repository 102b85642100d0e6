"""API tokens: obtain one with email + password, list one's tokens, revoke one or sign out.

Signing in goes through allauth's adapter, as the browser's and the admin's logins do: one
count of failed logins per account and per address (and across the site), checked before the
password is hashed, and the verification setting honoured (`ACCOUNT_EMAIL_VERIFICATION`
"mandatory": no token until the account's email address is verified).
"""

from allauth.account import app_settings as allauth_settings
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kaigan.accounts.models import ApiToken
from kaigan.accounts.tokens import api_token_issue, api_token_revoke
from kaigan.api.schema import error_responses, invalid, refused
from kaigan.api.throttling import ScopedRateThrottle

LOCKED = _("Too many failed sign-ins for this account. Wait a few minutes, then try again.")
UNVERIFIED = _(
    "Verify your email address first: open the link we sent to it (or ask for a new one on "
    "the login page), then sign in again."
)


class AccountLocked(exceptions.Throttled):
    default_detail = LOCKED
    default_code = "locked"


class TokenApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    class TokenInputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        name = serializers.CharField(
            max_length=100,
            required=False,
            allow_blank=True,
            help_text="What this token is for (a device, a script), to tell it apart later.",
        )

    class TokenOutputSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")
        expires_at = serializers.DateTimeField()

    def initialize_request(self, request, *args, **kwargs):
        drf_request = super().initialize_request(request, *args, **kwargs)
        if request.method == "POST":
            # Signing in needs no credentials: a client still sending a revoked token must get
            # a new one, not a 401. (Throttling then counts per client address.)
            drf_request.authenticators = ()
        return drf_request

    def get_permissions(self):
        if self.request.method == "DELETE":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(
        request=TokenInputSerializer,
        responses={
            200: TokenOutputSerializer,
            **error_responses(
                400,
                403,
                examples=[
                    invalid(
                        {"non_field_errors": ["Email or password is not correct."]},
                        "Wrong email or password",
                    ),
                    refused(str(UNVERIFIED), "Email address not verified"),
                ],
            ),
        },
        summary="Obtain an API token",
        description=(
            "Exchange the email and password of an account for a new API token, valid for "
            "`KAIGAN_API_TOKEN_DAYS` (30) days; each client (a device, a script) gets its own, "
            "named if you like. A wrong email and a wrong password get the same 400, so the "
            "answer never tells whether an account exists. After 5 failed attempts on one "
            "account in 5 minutes (or 10 a minute from one address), attempts are refused with "
            "a 429 for the rest of the window whatever the password, on this endpoint and the "
            "login pages alike. Where email verification is mandatory, an account whose address "
            "is not verified gets a 403 (only once its password was right). A password change "
            "or reset revokes every token of the account."
        ),
        auth=[],
        examples=[
            OpenApiExample(
                "Credentials",
                value={
                    "email": "founder@example.com",
                    "password": "correct-horse-battery-9",
                    "name": "CLI on my laptop",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Token",
                value={
                    "token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
                    "expires_at": "2027-01-04T09:00:00+08:00",
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request):
        serializer = self.TokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            user = get_adapter(request._request).authenticate(
                request._request, email=data["email"].lower(), password=data["password"]
            )
        except DjangoValidationError as refusal:
            if refusal.code == "too_many_login_attempts":
                raise AccountLocked from None
            raise
        if user is None or not user.is_active:
            # One message for "no such account" and "wrong password": no enumeration.
            raise serializers.ValidationError(
                {"non_field_errors": [_("Email or password is not correct.")]}
            )
        mandatory = allauth_settings.EMAIL_VERIFICATION == (
            allauth_settings.EmailVerificationMethod.MANDATORY
        )
        if mandatory and not EmailAddress.objects.filter(user=user, verified=True).exists():
            raise exceptions.PermissionDenied(UNVERIFIED)
        token, key = api_token_issue(user=user, name=data.get("name", ""))
        return Response(
            self.TokenOutputSerializer({"token": key, "expires_at": token.expires_at}).data
        )

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="Revoked: this token no longer authenticates."),
            **error_responses(401),
        },
        summary="Revoke the current API token (sign out)",
        description=(
            "Revokes the token this request is signed with; the account's other tokens stay "
            "(list and revoke them at `/api/v1/auth/tokens/`). Signing out of the web site does "
            "not revoke API tokens; a password change or reset revokes them all."
        ),
    )
    def delete(self, request):
        if isinstance(request.auth, ApiToken):
            api_token_revoke(user=request.user, token_id=request.auth.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiTokenSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(help_text="The token of this very request.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at", "current"]
        read_only_fields = fields

    def get_current(self, token) -> bool:
        auth = self.context["request"].auth
        return isinstance(auth, ApiToken) and auth.pk == token.pk


class TokenListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: ApiTokenSerializer(many=True), **error_responses(401)},
        summary="My API tokens",
        description=(
            "Every token of the account that is still valid or expired but not revoked, newest "
            "first: its name, the first characters of its key, when it was made, when it "
            "expires and when it was last used (to the hour). The keys themselves are never "
            "shown again."
        ),
    )
    def get(self, request):
        tokens = ApiToken.objects.filter(user=request.user)
        return Response(ApiTokenSerializer(tokens, many=True, context={"request": request}).data)


class TokenRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="Revoked."),
            **error_responses(401, 404),
        },
        summary="Revoke one of my API tokens",
        description="Another person's token, or one already revoked, is a 404.",
    )
    def delete(self, request, pk):
        api_token_revoke(user=request.user, token_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
