from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0011_overdue_list_index'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='durationrollup',
            index=models.Index(fields=['platform', 'category', 'kind', 'minute'], include=('n', 'total_us'), name='duration_rollup_merge'),
        ),
    ]
