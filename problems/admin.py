"""Authoring in the admin: problems with test inlines, a statement preview and pack upload.

Derived fields (statement_html, test_set_version) are never typed in: every save goes
through problems.services, so the admin cannot leave a stale version behind.
"""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from . import services
from .models import Problem, ProblemKind, TestCase, Topic
from .signatures import Signature, SignatureError


class TestCaseInline(admin.TabularInline):
    model = TestCase
    extra = 0
    fields = ("order", "is_sample", "comparison", "input", "expected_output", "explanation")


class ProblemForm(forms.ModelForm):
    class Meta:
        model = Problem
        fields = [
            "title",
            "slug",
            "difficulty",
            "topics",
            "is_published",
            "statement",
            "kind",
            "signature",
            "time_limit_ms",
            "memory_limit_mb",
            "reference_solution",
        ]

    def clean(self):
        data = super().clean()
        # A broken signature would break starter code and the harness for every student.
        if data.get("kind") == ProblemKind.FUNCTION:
            try:
                data["signature"] = Signature.from_json(data.get("signature") or {}).to_json()
            except SignatureError as exc:
                self.add_error("signature", str(exc))
        return data


class UploadForm(forms.Form):
    file = forms.FileField(help_text="One problem file (YAML) in the pack format: see docs/catalog.md.")


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    form = ProblemForm
    list_display = ("title", "slug", "difficulty", "kind", "is_published", "test_count", "updated_at")
    list_filter = ("difficulty", "kind", "is_published", "topics")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("topics",)
    readonly_fields = ("statement_preview", "test_set_version", "created_at", "updated_at")
    inlines = [TestCaseInline]
    change_list_template = "admin/problems/problem/change_list.html"
    fieldsets = (
        (None, {"fields": ("title", "slug", "difficulty", "topics", "is_published")}),
        ("Statement", {"fields": ("statement", "statement_preview")}),
        ("Judging", {"fields": ("kind", "signature", "time_limit_ms", "memory_limit_mb", "test_set_version")}),
        ("Reference solution (never shown to students)", {"classes": ("collapse",), "fields": ("reference_solution",)}),
        ("History", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="Tests")
    def test_count(self, obj):
        return obj.test_cases.count()

    @admin.display(description="Preview (as students see it)")
    def statement_preview(self, obj):
        if not obj.pk:
            return "Save to see the rendered statement."
        # statement_html is sanitized by problems.markdown when it is computed.
        return format_html('<div class="statement-preview">{}</div>', mark_safe(obj.statement_html))  # noqa: S308

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.refresh_problem_derived(problem=form.instance)

    def get_urls(self):
        upload = path("upload/", self.admin_site.admin_view(self.upload_view), name="problems_problem_upload")
        return [upload, *super().get_urls()]

    def upload_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            return redirect("admin:index")
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = services.load_problem_file(data=upload.read(), filename=upload.name)
            except services.PackLoadError as exc:
                form.add_error("file", exc.message)
            else:
                messages.success(request, f"Loaded {upload.name}: {report.summary()}.")
                return redirect(reverse("admin:problems_problem_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": "Upload problem file",
        }
        return TemplateResponse(request, "admin/problems/problem/upload.html", context)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "problem_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    @admin.display(description="Problems")
    def problem_count(self, obj):
        return obj.problems.count()
