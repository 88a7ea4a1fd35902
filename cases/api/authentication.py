"""`Authorization: Bearer <key>` for machines; browsers use the session (with CSRF) instead."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from cases.api.services.tokens import InvalidToken, authenticate_key


class BearerTokenAuthentication(BaseAuthentication):
    """A per-user API token. Unknown, expired and revoked keys, and keys of inactive users, get 401."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the header as “Authorization: Bearer <key>”."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        try:
            user, token = authenticate_key(key)
        except InvalidToken:
            raise exceptions.AuthenticationFailed(_("The token is unknown, expired or revoked.")) from None
        return user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) to requests without credentials.
        return 'Bearer realm="patuh"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "cases.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A per-user API token, created in the ministry or platform console (“API tokens”).",
        }
