"""Catalog changes invalidate the public catalog cache (problems/public_cache.py)."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from . import public_cache
from .models import Problem, TestCase, Topic


@receiver(post_save, sender=Problem)
@receiver(post_delete, sender=Problem)
@receiver(post_save, sender=TestCase)
@receiver(post_delete, sender=TestCase)
@receiver(post_save, sender=Topic)
@receiver(post_delete, sender=Topic)
def catalog_changed(**kwargs) -> None:
    public_cache.bump()


@receiver(m2m_changed, sender=Problem.topics.through)
def problem_topics_changed(action: str, **kwargs) -> None:
    if action.startswith("post_"):
        public_cache.bump()
