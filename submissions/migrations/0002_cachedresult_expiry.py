import django.utils.timezone
from django.db import migrations, models

import submissions.models


class Migration(migrations.Migration):
    """CachedResult rows expire. Rows stored before this came from the in-process harness
    (forgeable, issue #12): they get expires_at = now, so they are never served again and
    the first purge deletes them."""

    dependencies = [
        ("submissions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="cachedresult",
            name="expires_at",
            field=models.DateTimeField(default=django.utils.timezone.now, db_index=True),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="cachedresult",
            name="expires_at",
            field=models.DateTimeField(
                db_index=True,
                default=submissions.models.default_result_expiry,
                help_text="Not served after this; purged by purge_result_cache",
            ),
        ),
    ]
