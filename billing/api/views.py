"""The money API: a brief's funding and statement, an expert's balance and payouts, 发票.

Amounts are integers in fen (分) with `currency: "CNY"`; money POSTs take `Idempotency-Key`.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import idempotency, selectors, services
from billing.models import CURRENCY, InvoiceRequest, Payout
from billing.providers import enabled_providers, platform_bank_account
from experts.selectors import expert_get_for_user
from kaigan.api.permissions import NOT_AN_EXPERT, IsExpert, IsStartup
from kaigan.api.schema import error_responses, example_moment, invalid, invalid_state, refused
from kaigan.errors import NotAllowed
from marketplace.access import access_brief
from marketplace.api.views import NOT_THE_OWNER

NOT_A_STARTUP = refused("Only startups can do this.", "Not a startup")
NOT_THE_PARTY = refused(
    "Only the startup that posted this brief or its project manager can do this.",
    "Not the startup or its PM",
)
FEN = "Integer fen: 100 fen are 1 CNY."


# --- funding ---------------------------------------------------------------------------------


class MethodSerializer(serializers.Serializer):
    method = serializers.CharField()
    label = serializers.CharField()
    instant = serializers.BooleanField(help_text="Money arrives at once (else finance confirms)")
    development_only = serializers.BooleanField(
        help_text="A development stand-in that moves no real money (never in production)."
    )


class BankAccountSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The platform's account holder (a company account).")
    bank = serializers.CharField()
    number = serializers.CharField()


class ShareSerializer(serializers.Serializer):
    expert = serializers.CharField(source="expert_name")
    earnings = serializers.IntegerField(help_text="Their quote's earnings. " + FEN)
    decided = serializers.BooleanField()
    amount = serializers.IntegerField(
        allow_null=True, help_text="The share the PM decided, or null while undecided. " + FEN
    )
    reserved = serializers.IntegerField(help_text="What escrow keeps for it until paid. " + FEN)


class FundingSerializer(serializers.Serializer):
    due = serializers.IntegerField(help_text="What the startup has to pay now. " + FEN)
    funded = serializers.IntegerField(
        help_text="Everything the startup paid for this brief, less refunds. " + FEN
    )
    held = serializers.IntegerField(help_text="What the brief's escrow holds now. " + FEN)
    required = serializers.IntegerField(
        help_text="What the brief owes: the current expert's earnings, the fee until charged, "
        "and replaced experts' shares not paid yet. " + FEN
    )
    refundable = serializers.IntegerField(
        help_text="What escrow holds beyond what the brief owes (refunded). " + FEN
    )
    fee = serializers.IntegerField(help_text="The platform's fee, charged once per brief. " + FEN)
    fee_charged = serializers.BooleanField()
    currency = serializers.CharField()
    reference = serializers.CharField(
        help_text="Write it on the bank transfer: `KG` + the brief's number + two check digits."
    )
    status = serializers.ChoiceField(choices=selectors.FUNDING_STATUS_CHOICES)
    status_label = serializers.CharField()
    may_work = serializers.BooleanField(help_text="The expert may work (funded, or a PM said so).")
    methods = MethodSerializer(many=True)
    bank_account = BankAccountSerializer()
    replaced_shares = ShareSerializer(many=True)


def funding_data(brief) -> dict:
    state = selectors.escrow_state(brief)
    return FundingSerializer(
        {
            "due": state.due,
            "funded": state.paid_in - state.refunded,
            "held": state.held,
            "required": state.required,
            "refundable": state.refundable,
            "fee": state.fee,
            "fee_charged": state.fee_charged,
            "currency": CURRENCY,
            "reference": state.reference,
            "status": state.status,
            "status_label": state.status_label,
            "may_work": state.may_work,
            "methods": [
                {
                    "method": p.method,
                    "label": str(p.label),
                    "instant": p.instant,
                    "development_only": p.development_only,
                }
                for p in enabled_providers()
            ],
            "bank_account": platform_bank_account(),
            "replaced_shares": [
                {
                    "expert_name": s.expert_name,
                    "earnings": s.earnings,
                    "decided": s.decided is not None,
                    "amount": s.decided.amount if s.decided else None,
                    "reserved": s.reserved,
                }
                for s in state.shares
            ],
        }
    ).data


FUNDING_EXAMPLE = {
    "due": 880000,
    "funded": 0,
    "held": 0,
    "required": 880000,
    "refundable": 0,
    "fee": 80000,
    "fee_charged": False,
    "currency": "CNY",
    "reference": "KG00004212",
    "status": "awaiting_funding",
    "status_label": "Awaiting funding",
    "may_work": False,
    "methods": [
        {
            "method": "bank_transfer",
            "label": "Bank transfer (对公转账)",
            "instant": False,
            "development_only": False,
        }
    ],
    "bank_account": {
        "name": "开干科技有限公司",
        "bank": "招商银行上海分行",
        "number": "1219 0000 0000",
    },
    "replaced_shares": [],
}


def _party_brief(request, pk):
    """The brief, for its startup or its PM (another's brief: 404; an expert: 403)."""
    brief = access_brief(request.user, pk)
    user = request.user
    if not (user.is_superuser or brief.startup.owner_id == user.pk or brief.pm_id == user.pk):
        raise NotAllowed(
            _("Only the startup that posted this brief or its project manager can do this.")
        )
    return brief


#: Methods that pay at once (the API's `InstantMethodEnum`): the development provider so far.
INSTANT_METHODS = [("dev", "dev")]


class FundInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=INSTANT_METHODS,
        help_text="An instant provider. Bank transfers are confirmed by finance when they "
        "arrive (pay to `bank_account` with `reference`).",
    )


class BriefFundingApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A brief's funding: what is due, paid and held (the startup, its PM)",
        description=(
            "Amounts are integers in fen. `status`: `nothing_due` (no agreed quote yet), "
            "`awaiting_funding`, `difference_to_approve` (a re-match's higher price: approve it "
            "or ask the PM to keep the price), `funded` (the expert may work), "
            "`started_unfunded` (a PM's recorded decision), `release_waiting`, `released`, "
            "`cancelled`. Pay by bank transfer to `bank_account` with `reference` on it."
        ),
        responses={
            200: FundingSerializer,
            **error_responses(
                401,
                403,
                404,
                examples=[
                    refused(
                        "Only the startup that posted this brief or its project manager can "
                        "do this.",
                        "Not the startup or its PM",
                    )
                ],
            ),
        },
        examples=[OpenApiExample("Awaiting funding", value=FUNDING_EXAMPLE, response_only=True)],
    )
    def get(self, request, pk):
        return Response(funding_data(_party_brief(request, pk)))

    @extend_schema(
        summary="Fund a brief with an instant provider (the startup)",
        description=(
            "Pays what is due at once. Only the development provider exists so far (no real "
            "money; never enabled in production: there it answers 403). Nothing due (already "
            "funded, or a higher re-match price not approved yet) answers 409. Takes an "
            "`Idempotency-Key`."
        ),
        parameters=[idempotency.PARAMETER],
        request=FundInputSerializer,
        responses={
            201: FundingSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                examples=[
                    invalid({"method": ['"alipay" is not a valid choice.']}),
                    refused("The development payment provider is not enabled here.", "Not enabled"),
                    invalid_state("Nothing is due on this brief now."),
                ],
            ),
        },
        examples=[
            OpenApiExample("Development provider", value={"method": "dev"}, request_only=True)
        ],
    )
    @idempotency.idempotent
    def post(self, request, pk):
        brief = _party_brief(request, pk)
        serializer = FundInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.fund_with_dev_provider(brief_id=brief.pk, user=request.user)
        brief.refresh_from_db()
        return Response(funding_data(brief), status=status.HTTP_201_CREATED)


class ApproveDifferenceApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Approve a re-match's higher price (the startup)",
        description=(
            "After a re-match, when the new expert's agreed quote needs more than escrow holds, "
            "the startup approves the difference (then pays it), or its PM keeps the price. "
            "Anything else answers 409. Takes an `Idempotency-Key`."
        ),
        parameters=[idempotency.PARAMETER],
        request=None,
        responses={
            200: FundingSerializer,
            **error_responses(
                401,
                403,
                404,
                409,
                examples=[
                    NOT_THE_OWNER,
                    invalid_state("There is no higher price to approve on this brief."),
                ],
            ),
        },
    )
    @idempotency.idempotent
    def post(self, request, pk):
        brief = access_brief(request.user, pk)
        services.difference_approve(brief_id=brief.pk, user=request.user)
        return Response(funding_data(brief))


# --- statement -----------------------------------------------------------------------------


class MovementSerializer(serializers.Serializer):
    transaction = serializers.IntegerField(source="transaction_id")
    at = serializers.DateTimeField(source="created_at")
    kind = serializers.CharField(
        help_text="`receipt`, `receipt_dev`, `assigned`, `earnings`, `fee`, `settlement`, "
        "`price_kept`, `refund_due`, `platform_returned`, `reversal`."
    )
    label = serializers.CharField()
    amount = serializers.IntegerField(help_text="Into escrow (+) or out of it (−). " + FEN)
    balance = serializers.IntegerField(help_text="What escrow holds after it. " + FEN)


class StatementSerializer(serializers.Serializer):
    brief = serializers.IntegerField()
    currency = serializers.CharField()
    reference = serializers.CharField()
    held = serializers.IntegerField(help_text=FEN)
    movements = MovementSerializer(many=True)


class BriefStatementApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Every movement of a brief's money, in order (the startup, its PM)",
        description="The brief's escrow: what came in, what was released, shared, refunded.",
        responses={
            200: StatementSerializer,
            **error_responses(
                401,
                403,
                404,
                examples=[
                    refused(
                        "Only the startup that posted this brief or its project manager can "
                        "do this.",
                        "Not the startup or its PM",
                    )
                ],
            ),
        },
        examples=[
            OpenApiExample(
                "Funded and released",
                value={
                    "brief": 42,
                    "currency": "CNY",
                    "reference": "KG00004212",
                    "held": 0,
                    "movements": [
                        {
                            "transaction": 7,
                            "at": example_moment(-3, "10:00:00"),
                            "kind": "receipt",
                            "label": "Payment received (bank transfer)",
                            "amount": 880000,
                            "balance": 880000,
                        },
                        {
                            "transaction": 9,
                            "at": example_moment(-1, "16:00:00"),
                            "kind": "earnings",
                            "label": "Released to the expert",
                            "amount": -800000,
                            "balance": 80000,
                        },
                        {
                            "transaction": 10,
                            "at": example_moment(-1, "16:00:00"),
                            "kind": "fee",
                            "label": "Platform fee",
                            "amount": -80000,
                            "balance": 0,
                        },
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, pk):
        brief = _party_brief(request, pk)
        movements = selectors.brief_statement(brief)
        return Response(
            StatementSerializer(
                {
                    "brief": brief.pk,
                    "currency": CURRENCY,
                    "reference": selectors.reference_for(brief),
                    "held": movements[-1].balance if movements else 0,
                    "movements": movements,
                }
            ).data
        )


# --- the expert's money ----------------------------------------------------------------------


class BalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    pending = serializers.IntegerField(
        help_text="Earnings of engagements under way, released when the startup accepts. " + FEN
    )
    pending_shares = serializers.IntegerField(
        help_text="At most this for replaced engagements whose share the PM decides. " + FEN
    )
    available = serializers.IntegerField(help_text="Yours, to be paid out. " + FEN)
    in_batch = serializers.IntegerField(help_text="In a payout batch not paid yet. " + FEN)
    paid = serializers.IntegerField(help_text="Paid out to your bank account. " + FEN)


def _my_expert(request):
    expert = expert_get_for_user(user=request.user)
    if expert is None:
        raise NotAllowed(_("Only experts can do this."))
    return expert


class ExpertBalanceApi(APIView):
    permission_classes = [IsExpert]

    @extend_schema(
        summary="My balance (experts): pending, available, paid",
        responses={
            200: BalanceSerializer,
            **error_responses(401, 403, 404, examples=[NOT_AN_EXPERT]),
        },
        examples=[
            OpenApiExample(
                "Balance",
                value={
                    "currency": "CNY",
                    "pending": 800000,
                    "pending_shares": 0,
                    "available": 450000,
                    "in_batch": 0,
                    "paid": 1200000,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        balance = selectors.expert_balance(_my_expert(request))
        return Response(
            BalanceSerializer(
                {
                    "currency": CURRENCY,
                    "pending": balance.pending,
                    "pending_shares": balance.pending_shares,
                    "available": balance.available,
                    "in_batch": balance.in_batch,
                    "paid": balance.paid,
                }
            ).data
        )


class PayoutSerializer(serializers.ModelSerializer):
    week = serializers.CharField(source="batch.week")
    status = serializers.SerializerMethodField()
    paid_at = serializers.DateTimeField(source="batch.paid_at", allow_null=True)

    class Meta:
        model = Payout
        fields = ["id", "week", "amount", "status", "reference", "paid_at"]
        read_only_fields = fields

    def get_status(self, payout) -> str:
        """`paid`, or `pending` while the batch is with the bank."""
        return "paid" if payout.transaction_id else "pending"


class ExpertPayoutListApi(ListAPIView):
    """The expert's payouts, newest first."""

    permission_classes = [IsExpert]
    serializer_class = PayoutSerializer
    queryset = Payout.objects.none()

    @extend_schema(
        summary="My payouts (experts)",
        description="Weekly payouts to your bank account: `pending` while with the bank, `paid`.",
        responses={
            200: PayoutSerializer(many=True),
            **error_responses(401, 403, 404, examples=[NOT_AN_EXPERT]),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return (
            Payout.objects.filter(expert__user=self.request.user)
            .select_related("batch")
            .order_by("-batch__week", "-id")
        )


# --- 发票 ------------------------------------------------------------------------------------


class InvoiceInputSerializer(serializers.Serializer):
    brief = serializers.IntegerField(min_value=1, help_text="The brief whose fee is invoiced.")
    title = serializers.CharField(max_length=100, help_text="Company title, as on the fapiao.")
    tax_id = serializers.CharField(
        max_length=18,
        help_text="Unified social credit code: 18 characters, checked with its check digit.",
    )
    address = serializers.CharField(max_length=200, help_text="Address and telephone.")
    bank = serializers.CharField(max_length=200, help_text="Bank and account number.")

    def validate_tax_id(self, value):
        try:
            return services.tax_id_clean(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["tax_id"]) from None


class InvoiceSerializer(serializers.ModelSerializer):
    brief = serializers.IntegerField(source="brief_id")
    title = serializers.CharField(help_text="Company title, as on the fapiao.")
    pdf = serializers.SerializerMethodField()

    class Meta:
        model = InvoiceRequest
        fields = [
            "id",
            "brief",
            "title",
            "tax_id",
            "address",
            "bank",
            "amount",
            "expert_part",
            "status",
            "invoice_number",
            "pdf",
            "created_at",
            "issued_at",
        ]
        read_only_fields = fields

    def get_pdf(self, invoice) -> str | None:
        """Where to download the issued fapiao (null until issued)."""
        from django.urls import reverse

        if not invoice.pdf:
            return None
        return reverse("billing:invoice_pdf", args=[invoice.pk])


INVOICE_EXAMPLE = {
    "brief": 42,
    "title": "水杯科技（上海）有限公司",
    "tax_id": "91310000MA1FL8XQ37",
    "address": "上海市浦东新区世纪大道 100 号 021-12345678",
    "bank": "招商银行上海分行 121900000000",
}


class InvoiceListApi(ListAPIView):
    permission_classes = [IsStartup]
    serializer_class = InvoiceSerializer
    queryset = InvoiceRequest.objects.none()

    def get_queryset(self):
        return InvoiceRequest.objects.filter(startup__owner=self.request.user).order_by(
            "-created_at", "-id"
        )

    @extend_schema(
        summary="My fapiao requests (startups)",
        description=(
            "Requests for a fapiao (invoice) for the platform's fee, newest first. Amounts in fen."
        ),
        responses={
            200: InvoiceSerializer(many=True),
            **error_responses(401, 403, 404, examples=[NOT_A_STARTUP]),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Request a fapiao for a brief's platform fee (startups)",
        description=(
            "Once the fee is charged (the work accepted). `tax_id` is the unified social credit "
            "code, checked with its check digit (else 400). One request per brief (else 409). "
            "The expert's part is shown (`expert_part`), not invoiced by the platform. Takes an "
            "`Idempotency-Key`."
        ),
        parameters=[idempotency.PARAMETER],
        request=InvoiceInputSerializer,
        responses={
            201: InvoiceSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                examples=[
                    invalid(
                        {
                            "tax_id": [
                                "This is not a valid unified social credit code (统一社会信用代码)."
                            ]
                        }
                    ),
                    NOT_A_STARTUP,
                    invalid_state(
                        "The platform's fee is charged when you accept the work; ask for the 发票 "
                        "then."
                    ),
                    invalid_state(
                        "A 发票 for this brief is already requested.",
                        "Already requested",
                        code="conflict",
                        errors={"brief": ["Already requested."]},
                    ),
                ],
            ),
        },
        examples=[OpenApiExample("发票", value=INVOICE_EXAMPLE, request_only=True)],
    )
    @idempotency.idempotent
    def post(self, request):
        serializer = InvoiceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        brief = access_brief(request.user, data["brief"])
        invoice = services.invoice_request(
            user=request.user,
            brief_id=brief.pk,
            title=data["title"],
            tax_id=data["tax_id"],
            address=data["address"],
            bank=data["bank"],
        )
        return Response(InvoiceSerializer(invoice).data, status=status.HTTP_201_CREATED)
