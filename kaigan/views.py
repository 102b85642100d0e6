from django.shortcuts import redirect, render

from kaigan.accounts.services import user_home_url


def home(request):
    """The landing page: what Kaigan is; signed-in people go on to their own workplace."""
    if request.user.is_authenticated and request.GET.get("stay") is None:
        target = user_home_url(user=request.user)
        if target != request.path:
            return redirect(target)
    return render(request, "home.html")


def favicon(request):
    """Browsers ask for /favicon.ico on pages without a link to one (the admin's)."""
    from django.http import HttpResponsePermanentRedirect
    from django.templatetags.static import static

    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


def set_language(request):
    """Django's language switch, which also keeps a signed-in person's choice for their mails."""
    from django.views.i18n import set_language as django_set_language

    from kaigan.accounts.services import user_language_remember

    response = django_set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        user_language_remember(user=request.user, language=request.POST.get("language", ""))
    return response
