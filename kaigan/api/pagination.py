from django.core.paginator import Paginator
from rest_framework import pagination


class FirstPageFirstPaginator(Paginator):
    """Django's paginator, except that the first page reads its rows before the count: fewer rows
    than a page is the whole list, and then no `COUNT(*)` is sent. (A full first page still
    counts, lazily, as Django's does.)"""

    def page(self, number):
        if (
            number not in (1, "1")
            or self.orphans
            or not self.allow_empty_first_page
            or "count" in self.__dict__
        ):
            return super().page(number)
        rows = self.object_list[: self.per_page]
        if not isinstance(rows, list):  # a JsonRows page is a list already (kaigan.api.json_rows)
            rows = list(rows)
        if len(rows) < self.per_page:
            self.count = len(rows)  # what COUNT(*) would answer
        return self._get_page(rows, 1, self)


class PageNumberPagination(pagination.PageNumberPagination):
    django_paginator_class = FirstPageFirstPaginator
    page_size_query_param = "page_size"
    max_page_size = 100
