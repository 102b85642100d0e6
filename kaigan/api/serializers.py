"""Cheaper output serializers for the API's hot lists, with the same output as DRF's own path."""

import copy
import inspect

from django.db import models
from django.utils import translation
from rest_framework import fields as drf_fields
from rest_framework.relations import PKOnlyObject

# Fields whose representation depends on the value alone: `to_representation(value)`.
_PLAIN_FIELDS = (
    drf_fields.BooleanField,
    drf_fields.CharField,
    drf_fields.ChoiceField,
    drf_fields.DateField,
    drf_fields.DateTimeField,
    drf_fields.DecimalField,
    drf_fields.FloatField,
    drf_fields.IntegerField,
    drf_fields.JSONField,
)


def _plain_read(model: type[models.Model], name: str) -> str | None:
    """How to read `name` on a row as DRF's `get_attribute` would, without its per-row checks:
    "get" for a stored column or a property (never a callable, never a related object), "call"
    for a model method that takes no arguments (DRF inspects its signature on every row), and
    None for anything else."""
    attribute = getattr(model, name, None)
    if isinstance(attribute, property):
        return "get"
    if inspect.isfunction(attribute):
        parameters = list(inspect.signature(attribute).parameters.values())[1:]
        if all(
            p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            for p in parameters
        ):
            return "call"
        return None
    try:
        field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - FieldDoesNotExist and the like: not a plain column
        return None
    if field.concrete and not field.is_relation and field.attname == name:
        return "get"
    return None


class FastOutputMixin:
    # For read-only output serializers of model rows (lists of them above all).
    #
    # DRF spends most of a row's time in generic machinery: a ModelSerializer builds its fields from
    # the model every time one is made, and every field of every row goes through
    # `get_attribute`'s loop, exception handling and checks. Here
    #
    # - the fields a ModelSerializer builds are built once per class and language, then copied
    #   (as DRF copies declared fields): whether a field gets a label depends on the language
    #   active when it is built (the schema is built in English);
    # - a field that reads one plain column, property or argument-less model method and renders
    #   it by value alone is read with `getattr` (and called) and rendered by its own
    #   `to_representation`, as DRF would; every other field (nested serializers, related and
    #   method fields, dotted sources), and any read that raises, takes DRF's path.
    #
    # The output is the same dict, in the same order.
    # (A comment, not a docstring: drf-spectacular would publish a docstring in the schema.)

    def get_fields(self):
        cls = type(self)
        by_language = cls.__dict__.get("_fast_built_fields")
        if by_language is None:
            by_language = cls._fast_built_fields = {}
        language = translation.get_language()
        built = by_language.get(language)
        if built is None:
            built = by_language[language] = super().get_fields()
        return copy.deepcopy(built)

    def _fast_plan(self, model):
        plan = self.__dict__.get("_fast_plan_cache")
        if plan is not None and plan[0] is model:
            return plan[1]
        steps = []
        for field in self._readable_fields:
            read = None
            if (
                isinstance(field, _PLAIN_FIELDS)
                and type(field).get_attribute is drf_fields.Field.get_attribute
                and len(field.source_attrs) == 1
            ):
                read = _plain_read(model, field.source_attrs[0])
            attr = field.source_attrs[0] if read else None
            steps.append((field.field_name, attr, read == "call", field))
        self.__dict__["_fast_plan_cache"] = (model, steps)
        return steps

    def to_representation(self, instance):
        if not isinstance(instance, models.Model):
            return super().to_representation(instance)
        ret = {}
        for name, attr, call, field in self._fast_plan(type(instance)):
            if attr is not None:
                try:
                    value = getattr(instance, attr)
                    if call:
                        value = value()
                except Exception:  # noqa: BLE001, S110 - DRF's path below decides what it means
                    pass
                else:
                    ret[name] = None if value is None else field.to_representation(value)
                    continue
            try:
                attribute = field.get_attribute(instance)
            except drf_fields.SkipField:
                continue
            check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check_for_none is None else field.to_representation(attribute)
        return ret
