"""The ministry console's user page: Django's own, with the administrator who deactivates a user recorded.

Unticking "active" ends the user's sessions and revokes their API tokens (cases/signals.py); this admin
passes the acting administrator along, so the log says who did it rather than "the system".
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin


class PatuhUserAdmin(UserAdmin):
    def save_model(self, request, obj, form, change):
        if change and not obj.is_active:
            obj._patuh_deactivated_by = request.user  # read by the post_save receiver in cases/signals.py
        super().save_model(request, obj, form, change)


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, PatuhUserAdmin)
