"""The optional sign-up page: a new organisation and its first admin, off unless SIGNUP_ENABLED. It
answers 404 when off, so an installation that does not offer it shows no trace of it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from rest_framework.throttling import SimpleRateThrottle

from okrapp.forms import apply_service_errors
from okrapp.lockout import client_ip
from okrapp.organisations import NAME_MAX_LENGTH, PERSON_NAME_MAX_LENGTH, organisation_create


class SignupForm(forms.Form):
    name = forms.CharField(label="Organisation", max_length=NAME_MAX_LENGTH, help_text="Your company's name.")
    admin_name = forms.CharField(
        label="Your name", max_length=PERSON_NAME_MAX_LENGTH, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    admin_email = forms.EmailField(
        label="E-mail", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )


class SignupThrottle(SimpleRateThrottle):
    """Sign-up attempts per client address, counted like the API's throttles (the same cache)."""

    scope = "signup"

    def get_rate(self) -> str:
        return str(settings.SIGNUP_RATE)

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if not settings.SIGNUP_ENABLED:
        raise Http404("Sign-up is off on this installation.")
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 422
        throttle = SignupThrottle()
        if not throttle.allow_request(request, None):  # type: ignore[arg-type]
            form.is_valid()
            form.add_error(None, "Too many sign-ups from your address. Try again in an hour.")
            status = 429
        elif form.is_valid():
            try:
                admin = organisation_create(**form.cleaned_data, ip_address=client_ip(request))
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                login(request, admin.user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request,
                    f"Welcome to the OKR app, {admin.user.full_name}. {admin.organisation.name} is ready: "
                    "check its settings, then add teams and people.",
                )
                return redirect("organisation_settings")
    return render(request, "registration/signup.html", {"form": form}, status=status)
