"""Account state changes: sign-up and API tokens (DRF `Authorization: Token <key>`)."""

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

User = get_user_model()


@transaction.atomic
def register_user(*, username: str, email: str, password: str):
    """Create a student account; Django's password validators apply. Raises ValidationError."""
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": ["A user with that username already exists."]})
    user = User(username=username, email=email)
    user.full_clean(exclude=["password"])
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages})
    user.set_password(password)
    user.save()
    return user


def token_for(*, user) -> Token:
    token, _ = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def regenerate_token(*, user) -> Token:
    """Replace the user's token: the old key stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)
