from django.db import migrations


def forwards(apps, schema_editor):
    from cases.core.choices import DEFAULT_TIER, DEFAULT_TIER_HOURS, Category, Tier
    from cases.core.roles import sync_role_groups

    sync_role_groups(apps)
    DeadlinePolicy = apps.get_model("cases", "DeadlinePolicy")
    for category in Category:
        DeadlinePolicy.objects.get_or_create(
            category=category.value,
            defaults={
                "default_tier": DEFAULT_TIER[category].value,
                "urgent_hours": DEFAULT_TIER_HOURS[Tier.URGENT],
                "standard_hours": DEFAULT_TIER_HOURS[Tier.STANDARD],
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
