"""The user's own account: second factor (set-up, sign-in step, recovery codes), API tokens,
password, and the page shown when an account is locked out."""

from __future__ import annotations

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.i18n import set_language
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.models import RecoveryCodeDevice
from registry.selectors import official_of
from registry.services import RegistryError, accounts
from registry.views.access import registry_page


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=40,
        help_text=gettext_lazy(
            "The 6-digit code your authenticator app shows, or one of your recovery codes."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class TokenForm(forms.Form):
    label = forms.CharField(
        label=gettext_lazy("What is the token for?"),
        max_length=accounts.MAX_TOKEN_LABEL,
        required=False,
        help_text=gettext_lazy("For example: our national system's import job."),
    )


def next_url(request: HttpRequest) -> str:
    """Where to go after the second factor: ``next`` if it is on this site, else home."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else reverse("home")


def add_errors(form: forms.Form, error: RegistryError) -> None:
    for field, problems in error.errors.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)
    if not error.errors:
        form.add_error(None, error.message)


# --- the second factor ------------------------------------------------------------------


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: a QR code (drawn here, as SVG) and the key as text; a code
    from the app confirms it, and the recovery codes are shown once."""
    enrolled = accounts.confirmed_totp(request.user) is not None
    if enrolled and not request.user.is_verified():
        return redirect(f"{reverse('two-factor-verify')}?next={reverse('two-factor-setup')}")
    device = accounts.start_enrolment(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = accounts.confirm_enrolment(
                user=request.user, code=form.cleaned_data["code"], request=request
            )
        except RegistryError as error:
            add_errors(form, error)
        else:
            device.refresh_from_db()
            otp_login(request, device)
            accounts.sign_in_completed(request.user)
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": next_url(request), "first_time": True},
            )
    return render(request, "registration/two_factor_setup.html", setup_context(device, form))


def setup_context(device: TOTPDevice, form: CodeForm) -> dict:
    uri = device.config_url
    secret = uri.split("secret=", 1)[1].split("&", 1)[0]
    qr = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return {
        "form": form,
        "uri": uri,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr_svg": qr,
        "replacing": TOTPDevice.objects.filter(user=device.user, confirmed=True).exists(),
    }


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The sign-in step after the password: a code from the app, or a recovery code."""
    if request.user.is_verified() or not accounts.needs_second_factor(request.user):
        return redirect(next_url(request))
    if accounts.confirmed_totp(request.user) is None:
        return redirect("two-factor-setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = accounts.verify_second_factor(request.user, form.cleaned_data["code"], request)
        except RegistryError as error:
            add_errors(form, error)
        else:
            otp_login(request, device)
            accounts.sign_in_completed(request.user)
            if isinstance(device, RecoveryCodeDevice):
                messages.warning(
                    request,
                    _("You signed in with a recovery code; %(n)d are left.")
                    % {"n": device.remaining()},
                )
            return redirect(next_url(request))
    return render(
        request, "registration/two_factor_verify.html", {"form": form, "next": next_url(request)}
    )


@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """A new set of recovery codes (the old ones stop working), shown once."""
    if not request.user.is_verified():
        return redirect("two-factor-verify")
    codes = accounts.regenerate_recovery_codes(request.user)
    return render(
        request, "registration/recovery_codes.html", {"codes": codes, "next": reverse("account")}
    )


def locked_out(request: HttpRequest, response=None, credentials=None) -> HttpResponse:
    """What a locked-out account sees (django-axes calls this): the reason and when to retry."""
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    message = _(
        "Too many failed sign-in attempts: this account is locked for %(minutes)d minutes. "
        "Try again later, or ask the secretariat to unlock it."
    ) % {"minutes": minutes}
    if request.user.is_authenticated:
        logout(request)  # a half-signed-in session (password, no second factor) ends too
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


# --- the account page and API tokens -----------------------------------------------------


@registry_page
def account(request: HttpRequest) -> HttpResponse:
    """Second factor status, recovery codes left, API tokens, password."""
    user = request.user
    return render(
        request,
        "registration/account.html",
        {
            "totp": accounts.confirmed_totp(user),
            "recovery_left": accounts.recovery_codes_left(user),
            "required": accounts.needs_second_factor(user),
            "tokens": user.api_tokens.select_related("revoked_by").order_by("-created_at"),
            "token_form": TokenForm(),
            "ttl_days": settings.API_TOKEN_TTL_DAYS,
        },
    )


@registry_page
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """A new API token of the user, shown once."""
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The label is too long."))
        return redirect("account")
    token, key = accounts.issue_token(user=request.user, label=form.cleaned_data["label"])
    return render(request, "registration/token_created.html", {"token": token, "key": key})


@registry_page
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens (another's is not found)."""
    token = get_object_or_404(request.user.api_tokens, pk=pk)
    if accounts.revoke_token(token=token, by=request.user):
        messages.success(request, _("Token %(hint)s… is revoked.") % {"hint": token.hint})
    return redirect("account")


# --- the interface language --------------------------------------------------------------


@require_POST
def choose_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language (Django's ``set_language``: a cookie, then back to
    ``next``) and remember it on the official's account, so every sign-in speaks it."""
    response = set_language(request)
    language = request.POST.get("language", "")
    official = official_of(request.user)
    if official is not None and language in dict(settings.LANGUAGES):
        official.language = language
        official.save(update_fields=["language"])
    return response
