"""The small type system of function problems, and per-language names for it.

Types: int, float, bool, str, list[T] (nestable). A signature is stored on the problem as
{"function": "two_sum", "params": [{"name": "nums", "type": "list[int]"}, ...],
"returns": "list[int]"}. Python uses the snake_case names as written; JavaScript, C++
and Java use camelCase. C++ and Java solutions are methods of `class Solution`
(the interview convention); Python and JavaScript solutions are plain functions.
The execution harness (submissions/harness) relies on exactly these conventions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LANGUAGES = ("python", "javascript", "cpp", "java")
SCALARS = ("int", "float", "bool", "str")
_LIST = re.compile(r"^list\[(.+)\]$")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class SignatureError(ValueError):
    pass


@dataclass(frozen=True)
class Type:
    """`name` is a scalar name or "list"; `item` is set for lists."""

    name: str
    item: Type | None = None

    def __str__(self) -> str:
        return f"list[{self.item}]" if self.item else self.name

    @property
    def depth(self) -> int:
        return 1 + self.item.depth if self.item else 0

    @property
    def scalar(self) -> str:
        return self.item.scalar if self.item else self.name


def parse_type(text: str) -> Type:
    text = text.replace(" ", "")
    if text in SCALARS:
        return Type(text)
    match = _LIST.match(text)
    if match:
        return Type("list", parse_type(match.group(1)))
    raise SignatureError(f"unknown type {text!r}: use int, float, bool, str or list[T]")


@dataclass(frozen=True)
class Param:
    name: str
    type: Type


@dataclass(frozen=True)
class Signature:
    function: str
    params: tuple[Param, ...]
    returns: Type

    @classmethod
    def from_json(cls, data: dict) -> Signature:
        try:
            function = data["function"]
            params = tuple(Param(p["name"], parse_type(p["type"])) for p in data["params"])
            returns = parse_type(data["returns"])
        except (KeyError, TypeError) as exc:
            raise SignatureError(f"signature needs function, params and returns: {exc}") from exc
        for name in [function, *(p.name for p in params)]:
            if not _IDENTIFIER.match(name):
                raise SignatureError(f"{name!r} must be a snake_case identifier")
        return cls(function=function, params=params, returns=returns)

    def to_json(self) -> dict:
        return {
            "function": self.function,
            "params": [{"name": p.name, "type": str(p.type)} for p in self.params],
            "returns": str(self.returns),
        }

    def python_text(self) -> str:
        args = ", ".join(f"{p.name}: {p.type}" for p in self.params)
        return f"{self.function}({args}) -> {self.returns}"


def camel_case(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def function_name(signature: Signature, language: str) -> str:
    return signature.function if language == "python" else camel_case(signature.function)


def param_name(name: str, language: str) -> str:
    return name if language == "python" else camel_case(name)


_CPP_SCALARS = {"int": "int", "float": "double", "bool": "bool", "str": "string"}
_JAVA_SCALARS = {"int": "int", "float": "double", "bool": "boolean", "str": "String"}
_JS_DOC = {"int": "number", "float": "number", "bool": "boolean", "str": "string"}


def cpp_type(t: Type) -> str:
    return f"vector<{cpp_type(t.item)}>" if t.item else _CPP_SCALARS[t.name]


def java_type(t: Type) -> str:
    # Arrays all the way down (int[][] etc.): no boxing, familiar from interview sites.
    return f"{java_type(t.item)}[]" if t.item else _JAVA_SCALARS[t.name]


def js_doc_type(t: Type) -> str:
    return f"{js_doc_type(t.item)}[]" if t.item else _JS_DOC[t.name]


def _cpp_param(p: Param) -> str:
    # Containers by reference as interview sites do; scalars and strings by value.
    ref = "&" if p.type.item else ""
    return f"{cpp_type(p.type)}{ref} {camel_case(p.name)}"


def starter_code(signature: Signature, language: str) -> str:
    """Code the editor starts with: an empty solution with the right signature."""
    name = function_name(signature, language)
    if language == "python":
        args = ", ".join(f"{p.name}: {p.type}" for p in signature.params)
        return f"def {name}({args}) -> {signature.returns}:\n    pass\n"
    if language == "javascript":
        doc = "".join(f" * @param {{{js_doc_type(p.type)}}} {camel_case(p.name)}\n" for p in signature.params)
        args = ", ".join(camel_case(p.name) for p in signature.params)
        return f"/**\n{doc} * @return {{{js_doc_type(signature.returns)}}}\n */\nfunction {name}({args}) {{\n\n}}\n"
    if language == "cpp":
        args = ", ".join(_cpp_param(p) for p in signature.params)
        return (
            "#include <bits/stdc++.h>\nusing namespace std;\n\n"
            "class Solution {\npublic:\n"
            f"    {cpp_type(signature.returns)} {name}({args}) {{\n\n    }}\n}};\n"
        )
    if language == "java":
        args = ", ".join(f"{java_type(p.type)} {camel_case(p.name)}" for p in signature.params)
        return (
            "import java.util.*;\n\n"
            "class Solution {\n"
            f"    public {java_type(signature.returns)} {name}({args}) {{\n\n    }}\n}}\n"
        )
    raise SignatureError(f"unsupported language {language!r}")


STDIO_STARTERS = {
    "python": "import sys\n\n\ndef main() -> None:\n    data = sys.stdin.read().split()\n\n\nmain()\n",
    "javascript": "const data = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean);\n\n",
    "cpp": "#include <bits/stdc++.h>\nusing namespace std;\n\nint main() {\n\n    return 0;\n}\n",
    "java": (
        "import java.util.*;\nimport java.io.*;\n\npublic class Main {\n"
        "    public static void main(String[] args) throws IOException {\n"
        "        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));\n\n"
        "    }\n}\n"
    ),
}
