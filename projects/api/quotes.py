"""Changing a quote after acceptance: one side proposes, the other agrees or rejects."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kaigan.api.schema import error_responses, invalid, invalid_state, refused
from marketplace import services as marketplace_services
from marketplace.access import access_engagement_party
from marketplace.api.serializers import QuoteSerializer
from marketplace.models import Quote


class QuoteChangeInputSerializer(serializers.Serializer):
    scope_days = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        required=False,
        allow_null=True,
        help_text="New scope in days (half-day steps, 0.5–120). Or give fixed_price.",
    )
    fixed_price = serializers.IntegerField(
        required=False, allow_null=True, help_text="A fixed price in whole CNY (100–5,000,000)."
    )


class QuoteChangeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=QuoteChangeInputSerializer,
        responses={
            201: QuoteSerializer,
            **error_responses(
                400,
                401,
                404,
                409,
                examples=[
                    invalid(
                        {"scope_days": ["Ensure that there are no more than 1 decimal places."]}
                    ),
                    invalid_state(
                        "A change is already waiting for an answer.",
                        "A change is waiting",
                        code="conflict",
                    ),
                ],
            ),
        },
        summary="Propose a change to the agreed quote (startup or working expert)",
        description=(
            "The agreed version stays in force until the other side agrees "
            "(`POST /api/v1/quotes/{id}/agree/`) or rejects it. Only one change may wait "
            "for an answer at a time (else 409). Anyone but the two parties gets 404."
        ),
        examples=[
            OpenApiExample("A new scope", value={"scope_days": "6.5"}, request_only=True),
            OpenApiExample("A fixed price", value={"fixed_price": 12000}, request_only=True),
        ],
    )
    def post(self, request, pk):
        brief_id = access_engagement_party(request.user, pk)
        serializer = QuoteChangeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        quote = marketplace_services.quote_propose_change(
            brief_id=brief_id,
            user=request.user,
            scope_days=serializer.validated_data.get("scope_days"),
            fixed_price=serializer.validated_data.get("fixed_price"),
        )
        return Response(QuoteSerializer(quote).data, status=status.HTTP_201_CREATED)


class QuoteAnswerApi(APIView):
    permission_classes = [IsAuthenticated]
    agree = True

    @extend_schema(
        request=None,
        responses={
            200: QuoteSerializer,
            **error_responses(
                401,
                403,
                404,
                409,
                examples=[
                    refused("The other side must answer a change you proposed.", "Own change"),
                    invalid_state("This change was already answered."),
                ],
            ),
        },
        summary="Answer a proposed quote change (the other side)",
        description=(
            "`agree/` puts the change in force (the earlier version is superseded); `reject/` "
            "keeps the agreed quote. The side that proposed the change cannot answer it (403)."
        ),
    )
    def post(self, request, pk):
        quote = Quote.objects.filter(pk=pk).values("brief_id").first()
        if quote is None:
            raise Http404
        access_engagement_party(request.user, quote["brief_id"])
        answered = marketplace_services.quote_answer_change(
            quote_id=pk, user=request.user, agree=self.agree
        )
        return Response(QuoteSerializer(answered).data)
