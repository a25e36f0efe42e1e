"""The person's API tokens: name one (its secret shown this once), see when each was last used, revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from okrapp.decorators import member_required
from okrapp.forms import apply_service_errors
from okrapp.http import AuthedHttpRequest
from okrapp.lockout import client_ip
from okrapp.models import ApiToken
from okrapp.tokens import api_token_create, api_token_revoke


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="What uses it, so you know which to revoke later: “CI metrics push”."
    )


@member_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: AuthedHttpRequest) -> HttpResponse:
    membership = request.viewer.membership
    form = TokenForm(request.POST if request.method == "POST" else None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = api_token_create(
                membership=membership, name=form.cleaned_data["name"], ip_address=client_ip(request)
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"The token “{token.name}” was created. Copy it now: it is shown only once.")
            form = TokenForm()
    tokens = ApiToken.objects.filter(membership=membership)
    status = 422 if request.method == "POST" and secret is None else 200
    return render(request, "okrapp/api_tokens.html", {"form": form, "tokens": tokens, "secret": secret}, status=status)


@member_required
@require_POST
def api_token_revoke_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(membership=request.viewer.membership, pk=pk).first()
    if token is None:
        raise Http404("No such token.")
    api_token_revoke(token=token, ip_address=client_ip(request))
    messages.success(request, f"The token “{token.name}” was revoked: requests with it are refused from now on.")
    return redirect("api_tokens")
