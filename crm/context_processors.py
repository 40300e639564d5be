from django.conf import settings


def treue(request):
    """Values every page needs: the installation's currency."""
    return {"CURRENCY": settings.CURRENCY}
