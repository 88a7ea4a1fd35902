"""Access-control refusals, logged: who asked for what, and when, when the answer was 404.

Out-of-scope objects answer 404 exactly like missing ones (so nobody learns what exists), which means the
only place to tell them apart afterwards is the log. Every 404 served to a signed-in user on the consoles,
the API and evidence downloads is written to the `patuh.security` log with the user, the method and the
path. The query string is left out on purpose: searches carry content URLs, and those stay out of logs.
"""

import logging

log = logging.getLogger("patuh.security")

WATCHED_PREFIXES = ("/admin/", "/platform/", "/api/", "/evidence/")


class RefusalLoggingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 404 and request.path.startswith(WATCHED_PREFIXES):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                log.warning(
                    "refused (404): user %s (id %s) %s %s", user.get_username(), user.pk, request.method,
                    request.path,
                )
        return response
