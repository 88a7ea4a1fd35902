from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0010_administrators_manage_lockouts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('overdue_at__isnull', False), ('status__in', ('submitted', 'acknowledged'))), fields=['platform', 'status', '-created_at', '-id'], name='case_overdue_list'),
        ),
    ]
