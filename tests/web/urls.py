"""The project's URLs plus views that fail, to see the error answers people and clients get."""

from django.urls import path

from config.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def fail(request):
    raise RuntimeError("something broke")


urlpatterns = [
    path("broken/", fail),
    path("api/v1/broken/", fail),
    path("s/broken/", fail),
    *urlpatterns,
]
