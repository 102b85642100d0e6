"""API: upload a file (multipart), download one through the access check."""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kaigan.api.schema import error_responses, invalid, too_large
from kaigan.api.throttling import ScopedRateThrottle
from kaigan.files import services, validation
from kaigan.files.access import access_file
from kaigan.files.models import StoredFile
from kaigan.files.serving import file_response
from kaigan.files.uploads import TOO_LARGE, upload_refusal


class FileOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(
        read_only=True,
        help_text="The name for display, cleaned; its extension agrees with the content.",
    )
    size = serializers.IntegerField(read_only=True, help_text="In bytes.")
    content_type = serializers.CharField(
        read_only=True, help_text="Read from the content at upload, not from the name."
    )

    class Meta:
        model = StoredFile
        fields = ["id", "name", "size", "content_type"]
        read_only_fields = fields


class AttachedFileSerializer(FileOutputSerializer):
    """A file as the object it is attached to lists it."""

    download_url = serializers.SerializerMethodField()

    class Meta(FileOutputSerializer.Meta):
        fields = [*FileOutputSerializer.Meta.fields, "download_url"]
        read_only_fields = fields

    @extend_schema_field(
        serializers.CharField(help_text="The path of `GET /api/v1/files/{id}/download/`.")
    )
    def get_download_url(self, stored) -> str:
        return reverse("api-file-download", args=[stored.pk])


class FileUploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        use_url=False,
        help_text=(
            "One file (a multipart part named `file`). Its type is read from its content; see "
            "the operation's description for what is accepted."
        ),
    )


UPLOAD_DESCRIPTION = (
    "Upload one file as `multipart/form-data`, in the part `file`; attach it afterwards by its "
    "`id` (a brief's `files`). Until then only its uploader may read it. The type is read from "
    "the content, never from the name: accepted are PNG, JPEG, GIF and WebP images, PDF, Word, "
    "Excel and PowerPoint documents (without macros), zip archives without programs, plain "
    "text, Markdown and CSV, TTF, OTF, WOFF and WOFF2 fonts, Photoshop files, and SVG images "
    "without scripts (downloaded only, never shown). HTML, programs and scripts are refused "
    "(400), whatever their name. A file over the size limit (25 MB unless configured), or one "
    "that would take the account over its storage quota, answers 413. The name is kept for "
    "display only, cleaned of paths and control characters. Throttled per person."
)


class FileUploadApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]
    throttle_scope = "file_upload"

    def get_throttles(self):
        return [*super().get_throttles(), ScopedRateThrottle()]

    @extend_schema(
        summary="Upload a file",
        description=UPLOAD_DESCRIPTION,
        request={"multipart/form-data": FileUploadInputSerializer},
        responses={
            201: FileOutputSerializer,
            **error_responses(
                400,
                401,
                413,
                examples=[
                    invalid(
                        {"file": ["HTML and other web pages are not accepted."]}, "Refused type"
                    ),
                    invalid({"file": ["No file was submitted."]}, "No file"),
                    too_large(
                        "Some fields are not valid.",
                        errors={"file": ["A file may be at most 25.0 MB."]},
                    ),
                    too_large(
                        "Some fields are not valid.",
                        "Quota",
                        code="quota_exceeded",
                        errors={
                            "file": ["Your files would take more than your 2.0 GB of storage."]
                        },
                    ),
                ],
            ),
        },
        examples=[
            OpenApiExample(
                "Uploaded",
                value={
                    "id": 81,
                    "name": "品牌手册.pdf",
                    "size": 482113,
                    "content_type": "application/pdf",
                },
                response_only=True,
                status_codes=["201"],
            )
        ],
    )
    def post(self, request):
        files = request.FILES.getlist("file")
        refusal = upload_refusal(request)
        if refusal == TOO_LARGE:
            raise validation.UploadTooLarge(validation.too_large_message())
        if refusal is not None or len(request.FILES) > 1 or len(files) > 1:
            raise validation.UploadRefused(_("Send one file per request, in the part “file”."))
        serializer = FileUploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stored = services.file_upload(user=request.user, uploaded=serializer.validated_data["file"])
        return Response(FileOutputSerializer(stored).data, status=status.HTTP_201_CREATED)


class AnyAccept(BaseContentNegotiation):
    """The download answers its file whatever the client accepts (a download sends
    `Accept: application/pdf` as readily as `*/*`); errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class FileDownloadApi(APIView):
    permission_classes = [IsAuthenticated]
    content_negotiation_class = AnyAccept

    @extend_schema(
        summary="Download a file",
        description=(
            "The file's bytes, for its uploader and for whoever may read what it is attached "
            "to (a brief's reference files: the startup, its PM, the invited or working "
            "expert); for anyone else it does not exist (404), and a hidden file neither. "
            "Always `Content-Disposition: attachment` with the display name "
            "(`filename*=UTF-8''…` for non-ASCII names), the content type read at upload, "
            "`X-Content-Type-Options: nosniff` and a sandboxing content security policy. "
            "`inline=true` shows a PNG, JPEG, GIF or WebP image inline instead; other types "
            "stay attachments. With object storage the answer is a 302 to a signed URL valid "
            "for about a minute, whose answer carries the same headers."
        ),
        parameters=[
            OpenApiParameter(
                "inline",
                OpenApiTypes.BOOL,
                description="Show a raster image inline instead of downloading it.",
            )
        ],
        responses={
            # The types a stored file may have (kaigan.files.validation.TYPES), each the bytes.
            **{
                (200, content_type): OpenApiResponse(
                    OpenApiTypes.BINARY,
                    description="The bytes, of the type read from the content at upload.",
                )
                for content_type in validation.TYPES
            },
            302: OpenApiResponse(
                description="Object storage: `Location` is a short-lived signed URL of the file."
            ),
            **error_responses(401, 404),
        },
    )
    def get(self, request, pk):
        stored = access_file(request.user, pk)
        inline = request.query_params.get("inline", "").lower() in ("1", "true")
        return file_response(stored, inline=inline)
