"""Authentication classes of the API (in a module of their own: DRF imports them while its views
module loads, so they must not import views)."""

from rest_framework import authentication


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, reading the user's startup (if any) in the same query: the
    startup's briefs are then listed by its id (marketplace.selectors.brief_list_for)."""

    def authenticate_credentials(self, key):
        model = self.get_model()
        try:
            token = model.objects.select_related("user__startup").get(key=key)
        except model.DoesNotExist:
            token = None
        if token is None or not token.user.is_active:
            return super().authenticate_credentials(key)  # DRF's own refusal and message
        return (token.user, token)
