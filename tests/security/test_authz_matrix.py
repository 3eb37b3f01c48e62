"""Authorization matrix over every URL pattern the resolver knows.

The URL list is built from the resolver, so a new URL pattern without an expectation here
fails `test_every_url_pattern_has_an_expectation`. Each expectation is requested as four
people: anonymous, the student who owns the objects in the URL, another student, and staff.
Anonymous page requests go to the login page (302); API requests without credentials get
401/403; another student's objects are 404 (no existence leak); staff pages are staff-only.
"""

import re

import pytest
from django.contrib.admin import site as admin_site
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token

from accounts.tests.factories import StaffFactory, UserFactory
from mentor.models import Conversation, Message
from problems.tests.factories import ProblemFactory, TestCaseFactory
from submissions.models import Submission

ROLES = ("anon", "student", "other", "staff")
LOGIN = 302  # redirect to a login page


def every(status):
    return dict.fromkeys(ROLES, status)


def roles(anon, student, other, staff):
    return {"anon": anon, "student": student, "other": other, "staff": staff}


# pattern (as the resolver prints it) -> [(method, path, {role: expected status}, options)]
# Paths are templates over the objects made in `world`. Options: api=True sends the token
# header instead of the session cookie (REST clients); data= a POST body.
STAFF_ONLY_PAGE = roles(LOGIN, LOGIN, LOGIN, 200)
API_STAFF_ONLY = roles(401, 403, 403, 200)
EXPECT: dict[str, list[tuple]] = {
    "healthz": [("get", "/healthz", every(200), {})],
    "metrics": [
        ("get", "/metrics", roles(401, 403, 403, 200), {}),
        # An API token (even a staff one) is not a metrics credential.
        ("get", "/metrics", roles(401, 403, 403, 403), {"api": True}),
    ],
    "admin/costs/dashboard/": [("get", "/admin/costs/dashboard/", STAFF_ONLY_PAGE, {})],
    "admin/costs/calculator/": [("get", "/admin/costs/calculator/", STAFF_ONLY_PAGE, {})],
    "admin/costs/export.csv": [("get", "/admin/costs/export.csv", STAFF_ONLY_PAGE, {})],
    "admin/": [("get", "/admin/", STAFF_ONLY_PAGE, {})],
    # A logged-in staff member is sent on to the index; a student sees the form (and an error).
    "admin/login/": [("get", "/admin/login/", roles(200, 200, 200, 302), {})],
    "admin/logout/": [("post", "/admin/logout/", every(302), {})],
    "admin/password_change/": [("get", "/admin/password_change/", STAFF_ONLY_PAGE, {})],
    "admin/password_change/done/": [("get", "/admin/password_change/done/", STAFF_ONLY_PAGE, {})],
    "admin/autocomplete/": [("get", "/admin/autocomplete/", roles(LOGIN, LOGIN, LOGIN, 403), {})],
    "admin/jsi18n/": [("get", "/admin/jsi18n/", STAFF_ONLY_PAGE, {})],
    "admin/r/<path:content_type_id>/<path:object_id>/": [
        # Problems have no get_absolute_url, so "view on site" has nowhere to go.
        ("get", "/admin/r/{problem_ct}/{problem_pk}/", roles(LOGIN, LOGIN, LOGIN, 404), {}),
    ],
    "admin/^(?P<app_label>auth|authtoken|costs|problems|submissions|mentor)/$": [
        ("get", "/admin/problems/", STAFF_ONLY_PAGE, {}),
        ("get", "/admin/costs/", STAFF_ONLY_PAGE, {}),
    ],
    "admin/(?P<url>.*)$": [("get", "/admin/no-such-page/", roles(LOGIN, LOGIN, LOGIN, 404), {})],
    "admin/problems/problem/upload/": [("get", "/admin/problems/problem/upload/", STAFF_ONLY_PAGE, {})],
    "admin/auth/user/<id>/password/": [("get", "/admin/auth/user/{student_pk}/password/", STAFF_ONLY_PAGE, {})],
    # REST API. Token auth comes first, so anonymous callers get 401 with a challenge.
    "api/v1/auth/token/": [("post", "/api/v1/auth/token/", every(400), {"data": {}})],
    "api/v1/auth/register/": [("post", "/api/v1/auth/register/", every(400), {"data": {}})],
    "api/v1/auth/token/regenerate/": [
        ("get", "/api/v1/auth/token/regenerate/", roles(401, 200, 200, 200), {"api": True})
    ],
    "api/v1/problems/": [
        ("get", "/api/v1/problems/", every(200), {"api": True}),
        ("post", "/api/v1/problems/", roles(405, 405, 405, 405), {"api": True, "data": {}}),
    ],
    "api/v1/problems/<slug:slug>/": [
        ("get", "/api/v1/problems/{slug}/", every(200), {"api": True}),
        # Unpublished problems do not exist for anyone through the public API.
        ("get", "/api/v1/problems/{draft_slug}/", every(404), {"api": True}),
        ("delete", "/api/v1/problems/{slug}/", every(405), {"api": True}),
    ],
    "api/v1/topics/": [("get", "/api/v1/topics/", every(200), {"api": True})],
    "api/v1/me/progress/": [("get", "/api/v1/me/progress/", roles(401, 200, 200, 200), {"api": True})],
    "api/v1/me/recommendations/": [("get", "/api/v1/me/recommendations/", roles(401, 200, 200, 200), {"api": True})],
    "api/v1/submissions/": [
        ("get", "/api/v1/submissions/", roles(401, 200, 200, 200), {"api": True}),
        ("post", "/api/v1/submissions/", roles(401, 400, 400, 400), {"api": True, "data": {}}),
    ],
    "api/v1/submissions/<int:submission_id>/": [
        ("get", "/api/v1/submissions/{submission}/", roles(401, 200, 404, 200), {"api": True}),
        ("delete", "/api/v1/submissions/{submission}/", roles(401, 405, 405, 405), {"api": True}),
        ("get", "/api/v1/submissions/999999999/", roles(401, 404, 404, 404), {"api": True}),
    ],
    "api/v1/mentor/conversations/": [
        ("get", "/api/v1/mentor/conversations/", roles(401, 200, 200, 200), {"api": True}),
    ],
    "api/v1/mentor/conversations/<int:pk>/messages/": [
        ("get", "/api/v1/mentor/conversations/{conversation}/messages/", roles(401, 200, 404, 404), {"api": True}),
        (
            "post",
            "/api/v1/mentor/conversations/{conversation}/messages/",
            roles(401, 400, 404, 404),
            {"api": True, "data": {}},
        ),
    ],
    "api/v1/costs/summary/": [("get", "/api/v1/costs/summary/", API_STAFF_ONLY, {"api": True})],
    "api/v1/costs/calculator/": [("get", "/api/v1/costs/calculator/", API_STAFF_ONLY, {"api": True})],
    "api/schema/": [("get", "/api/schema/", every(200), {})],
    "api/docs/": [("get", "/api/docs/", every(200), {})],
    # Pages.
    "accounts/signup/": [("get", "/accounts/signup/", roles(200, 302, 302, 302), {})],
    "accounts/login/": [("get", "/accounts/login/", roles(200, 302, 302, 302), {})],
    "accounts/logout/": [
        ("get", "/accounts/logout/", every(405), {}),
        ("post", "/accounts/logout/", every(302), {}),
    ],
    "accounts/profile/": [("get", "/accounts/profile/", roles(LOGIN, 200, 200, 200), {})],
    "submissions/new/": [
        ("get", "/submissions/new/", roles(LOGIN, 405, 405, 405), {}),
        ("post", "/submissions/new/", roles(LOGIN, 400, 400, 400), {"data": {}}),
    ],
    "submissions/history/<slug:slug>/": [
        ("get", "/submissions/history/{slug}/", roles(LOGIN, 200, 200, 200), {}),
    ],
    "submissions/<int:submission_id>/": [
        ("get", "/submissions/{submission}/", roles(LOGIN, 200, 404, 200), {}),
    ],
    "submissions/<int:submission_id>/result/": [
        ("get", "/submissions/{submission}/result/", roles(LOGIN, 200, 404, 200), {}),
    ],
    # Only Judge0 with a valid HMAC signature may write results; everyone else is refused.
    "submissions/judge0/callback/<str:nonce>/<str:signature>/": [
        ("put", "/submissions/judge0/callback/abc/forged/", every(403), {"data": {}}),
    ],
    "mentor/panel/<slug:slug>/": [("get", "/mentor/panel/{slug}/", roles(LOGIN, 200, 200, 200), {})],
    "mentor/ask/<slug:slug>/": [
        ("get", "/mentor/ask/{slug}/", roles(LOGIN, 405, 405, 405), {}),
        ("post", "/mentor/ask/{slug}/", roles(LOGIN, 400, 400, 400), {"data": {}}),
    ],
    "": [("get", "/", every(200), {})],
    "problems/": [("get", "/problems/", every(200), {})],
    "problems/<slug:slug>/": [
        ("get", "/problems/{slug}/", every(200), {}),
        ("get", "/problems/{draft_slug}/", roles(404, 404, 404, 404), {}),
        ("get", "/problems/..%2F..%2Fetc%2Fpasswd/", every(404), {}),
    ],
}

# Django admin's standard model URLs, for every registered ModelAdmin: staff only.
ADMIN_MODEL_SUFFIXES = {
    "": "",
    "add/": "add/",
    "<path:object_id>/history/": "{pk}/history/",
    "<path:object_id>/delete/": "{pk}/delete/",
    "<path:object_id>/change/": "{pk}/change/",
    "<path:object_id>/": "{pk}/",  # redirects to change/
}
# Admin pages refused even to staff: the ledger is append-only and written by record_call,
# alerts are raised by budget checks, submissions are made through submit_code.
ADMIN_STAFF_REFUSED = {
    ("costs.apicall", "add/"),
    ("costs.apicall", "<path:object_id>/delete/"),
    ("costs.alert", "add/"),
    ("submissions.submission", "add/"),
    ("mentor.message", "add/"),
    ("mentor.contextcache", "add/"),
}


def discovered_patterns() -> list[str]:
    found = []

    def walk(resolver, prefix=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                found.append(prefix + str(entry.pattern))

    walk(get_resolver())
    return found


def admin_model_patterns() -> dict[str, tuple[str, str]]:
    """Resolver pattern -> (model label, suffix key) for each registered ModelAdmin."""
    out = {}
    for model in admin_site._registry:
        base = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        for suffix in ADMIN_MODEL_SUFFIXES:
            out[base + suffix] = (model._meta.label_lower, suffix)
    return out


def test_every_url_pattern_has_an_expectation():
    admin_models = admin_model_patterns()
    missing = [p for p in discovered_patterns() if p not in EXPECT and p not in admin_models]
    assert not missing, f"URL patterns without an authorization expectation: {missing}"
    stale = [p for p in EXPECT if p not in discovered_patterns()]
    assert not stale, f"expectations for URL patterns that no longer exist: {stale}"


@pytest.fixture
def world(db):
    from django.contrib.contenttypes.models import ContentType

    student, other, staff = UserFactory(), UserFactory(), StaffFactory()
    problem = ProblemFactory(slug="authz-problem")
    TestCaseFactory(problem=problem, is_sample=True)
    draft = ProblemFactory(slug="authz-draft", is_published=False)
    submission = Submission.objects.create(
        user=student,
        problem=problem,
        language="python",
        code="def add(a, b):\n    return a + b\n",
        status="finished",
        verdict="accepted",
    )
    conversation = Conversation.objects.create(user=student, problem=problem)
    Message.objects.create(conversation=conversation, role="user", text="hi")
    clients = {}
    users = {"student": student, "other": other, "staff": staff}
    for role, user in (("anon", None), ("student", student), ("other", other), ("staff", staff)):
        session, api = Client(), Client()
        if user is not None:
            session.force_login(user)
            api.defaults["HTTP_AUTHORIZATION"] = f"Token {Token.objects.create(user=user).key}"
        clients[role] = {"session": session, "api": api}
    values = {
        "slug": problem.slug,
        "draft_slug": draft.slug,
        "submission": submission.pk,
        "conversation": conversation.pk,
        "student_pk": student.pk,
        "problem_pk": problem.pk,
        "problem_ct": ContentType.objects.get_for_model(problem).pk,
    }
    objects = {
        "problem": problem,
        "submission": submission,
        "conversation": conversation,
        "student": student,
        "staff": staff,
    }
    return {"clients": clients, "users": users, "values": values, "objects": objects}


def _request(world, role, method, path, options):
    client = world["clients"][role]["api" if options.get("api") else "session"]
    if role != "anon" and not options.get("api"):
        # Logout URLs in the matrix end the session; every request starts logged in again.
        client.force_login(world["users"][role])
    kwargs = {}
    if "data" in options:
        kwargs = {"data": options["data"], "content_type": "application/json"}
    return getattr(client, method)(path, **kwargs)


def _admin_sample_object(world, label):
    from django.apps import apps

    model = apps.get_model(label)
    obj = model.objects.order_by("pk").first()
    if obj is None:
        return None
    return obj.pk


def test_authorization_matrix(world, settings):
    settings.METRICS_TOKEN = ""  # a student's API token must not open /metrics
    failures = []
    checked = 0
    for pattern in discovered_patterns():
        for method, template, expected, options in EXPECT.get(pattern, []):
            path = template.format(**world["values"])
            for role in ROLES:
                status = _request(world, role, method, path, options).status_code
                checked += 1
                if status != expected[role]:
                    failures.append(f"{method.upper()} {path} as {role}: {status}, expected {expected[role]}")
    assert checked > 150
    assert not failures, "\n".join(failures)


def test_admin_model_pages_are_staff_only(world):
    failures = []
    for pattern, (label, suffix) in admin_model_patterns().items():
        pk = _admin_sample_object(world, label)
        if "{pk}" in ADMIN_MODEL_SUFFIXES[suffix] and pk is None:
            pk = 999999  # no row: staff are redirected with a "does not exist" message
        path = (
            "/" + pattern.replace(suffix, "") + ADMIN_MODEL_SUFFIXES[suffix].format(pk=pk) if suffix else "/" + pattern
        )
        for role in ("anon", "student", "other"):
            status = _request(world, role, "get", path, {}).status_code
            location = _request(world, role, "get", path, {}).get("Location", "")
            if status != 302 or "/admin/login/" not in location:
                failures.append(f"GET {path} as {role}: {status} {location}")
        staff_status = _request(world, "staff", "get", path, {}).status_code
        allowed = {200, 302}
        if (label, suffix) in ADMIN_STAFF_REFUSED:
            allowed = {403}
        if staff_status not in allowed:
            failures.append(f"GET {path} as staff: {staff_status}, expected one of {sorted(allowed)}")
    assert not failures, "\n".join(failures)


def test_metrics_bearer_token_opens_metrics_only(world, settings):
    settings.METRICS_TOKEN = "scrape-secret-for-tests"
    scraper = Client(HTTP_AUTHORIZATION="Bearer scrape-secret-for-tests")
    assert scraper.get("/metrics").status_code == 200
    assert Client(HTTP_AUTHORIZATION="Bearer wrong").get("/metrics").status_code == 403
    assert Client().get("/metrics").status_code == 401
    # The metrics token is not a staff credential anywhere else.
    assert scraper.get("/admin/costs/dashboard/").status_code == 302
    assert scraper.get("/api/v1/costs/summary/").status_code == 401


def test_anonymous_page_redirects_go_to_login(world):
    anon = world["clients"]["anon"]["session"]
    response = anon.get(f"/submissions/{world['values']['submission']}/")
    assert response.status_code == 302
    assert re.match(r"^/accounts/login/\?next=", response["Location"])
