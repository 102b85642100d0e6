"""Token authentication for API clients: obtain with email + password, revoke to log out."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kaigan.api.schema import error_responses, invalid
from kaigan.api.throttling import ScopedRateThrottle


class TokenApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    class TokenInputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    class TokenOutputSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")

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
                examples=[
                    invalid(
                        {"non_field_errors": ["Email or password is not correct."]},
                        "Wrong email or password",
                    )
                ],
            ),
        },
        summary="Obtain an API token",
        description=(
            "Exchange the email and password of an account for its API token (the same token "
            "until it is revoked). A wrong email and a wrong password get the same 400, so the "
            "answer never tells whether an account exists. Throttled tightly per client."
        ),
        auth=[],
        examples=[
            OpenApiExample(
                "Credentials",
                value={"email": "founder@example.com", "password": "correct-horse-battery-9"},
                request_only=True,
            ),
            OpenApiExample(
                "Token",
                value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"},
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request):
        serializer = self.TokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            email=serializer.validated_data["email"].lower(),
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            # One message for "no such account" and "wrong password": no enumeration.
            raise serializers.ValidationError(
                {"non_field_errors": [_("Email or password is not correct.")]}
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response(self.TokenOutputSerializer({"token": token.key}).data)

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="Revoked: the token no longer authenticates."),
            **error_responses(401),
        },
        summary="Revoke the current API token (log out)",
        description="Deletes the account's token; obtain a new one to sign in again.",
    )
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
