"""The language of a page: the user's choice, then the browser's (LocaleMiddleware)."""

from django.utils import translation


def user_language(get_response):
    def middleware(request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None else ""
        if language and user.is_authenticated:
            # override, not activate: the choice must not outlive the request in this thread.
            with translation.override(language):
                request.LANGUAGE_CODE = language
                response = get_response(request)
                response.headers.setdefault("Content-Language", language)
                return response
        response = get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response

    return middleware
