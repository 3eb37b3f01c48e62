from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import health

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("problems.api_urls")),
    path("", include("submissions.api_urls")),
    path("", include("mentor.api_urls")),
    path("", include("costs.api_urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    # Staff-only cost pages live under /admin/costs/ and must precede the admin catch-all.
    path("", include("costs.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("accounts/", include("accounts.urls")),
    path("submissions/", include("submissions.urls")),
    path("mentor/", include("mentor.urls")),
    path("", include("problems.urls")),
]

# JSON 404 under /api/ for paths no pattern matches (codementor/not_found.py).
handler404 = "codementor.not_found.not_found"
