"""Problem statements: Markdown in, sanitized HTML out.

Statements come from pack files and the admin, so the HTML is cleaned with nh3 after
rendering: whatever an author (or an uploaded file) writes, no script, event handler or
javascript: URL reaches a student's browser.
"""

import re

import markdown as md
import nh3

_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "s",
    "del",
    "sub",
    "sup",
    "code",
    "pre",
    "kbd",
    "samp",
    "blockquote",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "span",
    "div",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "code": {"class"},  # language-xyz from fenced code blocks
    "ol": {"start"},
}
_URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d+[.)]) ")
_FENCE = re.compile(r"^ {0,3}(?:```|~~~)")


def _loosen_lists(text: str) -> str:
    """Python-Markdown needs a blank line before a list; authors (and GitHub) do not.

    "**Constraints**" followed directly by "- 1 <= n" would otherwise render as one
    paragraph with literal dashes. Code fences are left untouched.
    """
    out: list[str] = []
    in_fence = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and _LIST_ITEM.match(line) and out:
            previous = out[-1]
            if previous.strip() and not _LIST_ITEM.match(previous) and not previous.startswith((" ", "\t")):
                out.append("")
        out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def render_statement(text: str) -> str:
    """Markdown (fenced code, tables) to HTML that is safe to mark safe in templates."""
    html = md.markdown(
        _loosen_lists(text or ""), extensions=["fenced_code", "tables", "sane_lists"], output_format="html"
    )
    return sanitize_html(html)
