import json

import factory

from problems.models import Problem, TestCase, Topic


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.LazyAttribute(lambda t: t.slug.replace("-", " ").title())


class ProblemFactory(factory.django.DjangoModelFactory):
    """A function problem `add(a: int, b: int) -> int` unless told otherwise."""

    class Meta:
        model = Problem
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"problem-{n}")
    title = factory.LazyAttribute(lambda p: p.slug.replace("-", " ").title())
    difficulty = "easy"
    statement = "Return the sum of `a` and `b`."
    kind = "function"
    signature = factory.LazyFunction(
        lambda: {
            "function": "add",
            "params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
            "returns": "int",
        }
    )
    reference_solution = "def add(a, b):\n    return a + b\n"
    test_set_version = factory.Sequence(lambda n: f"v{n}")


class TestCaseFactory(factory.django.DjangoModelFactory):
    __test__ = False  # a factory, not a pytest class

    class Meta:
        model = TestCase

    problem = factory.SubFactory(ProblemFactory)
    order = factory.Sequence(int)
    input = json.dumps({"a": 1, "b": 2})
    expected_output = "3"
    is_sample = False
