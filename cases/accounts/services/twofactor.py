"""Two-step login (TOTP with django-otp): the one home of the rule, and the device operations.

Who must use a second factor:
- ministry staff (analyst, supervisor, administrator, auditor) when PATUH["REQUIRE_2FA"] is on (default: on
  with DEBUG off, off with DEBUG on, so the quickstart demo stays password-only);
- liaisons when PATUH["LIAISON_2FA"] is on (default off);
- anyone who has a confirmed device: once set up, it is always asked for.

A user who must but has no confirmed device yet may only reach the enrolment page (and log out); one who has a
device but whose session is not verified may only reach the verify page. cases.middleware.TwoFactorMiddleware
applies this; the login forms (cases.sites) ask for the code.

The secret and the backup codes are never logged.
"""

import logging
import re

import django_otp
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.core.roles import is_ministry, liaison_platform_ids

log = logging.getLogger("patuh.security")

BACKUP_CODE_COUNT = 10
TOTP_NAME = "Authenticator app"
BACKUP_NAME = "Backup codes"

ENROL = "enrol"
VERIFY = "verify"

_TOTP_SHAPE = re.compile(r"^\d{6}$")


def is_required(user) -> bool:
    """Whether this user must use a second factor even without a device (and so must enrol)."""
    if user is None or not user.is_authenticated:
        return False
    conf = settings.PATUH
    if is_ministry(user):
        return bool(conf.get("REQUIRE_2FA", False))
    if liaison_platform_ids(user):
        return bool(conf.get("LIAISON_2FA", False))
    return False


def is_enrolled(user) -> bool:
    """Whether the user has a confirmed authenticator (TOTP) device."""
    if user is None or not user.is_authenticated:
        return False
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def needs_second_factor(user) -> bool:
    """Whether a login or session of this user must be verified with a code."""
    return is_required(user) or is_enrolled(user)


def pending_step(user) -> str | None:
    """What an authenticated session still lacks: ENROL, VERIFY, or None when it may go anywhere."""
    if user is None or not user.is_authenticated:
        return None
    verified = getattr(user, "is_verified", None)
    if verified is not None and verified():
        return None
    if is_enrolled(user):
        return VERIFY
    if is_required(user):
        return ENROL
    return None


def normalise_code(code: str | None) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def verify_code(user, code: str | None):
    """The device that accepts `code` (a current TOTP code or an unused backup code, which is then consumed),
    or None. Only one device is tried, chosen by the code's shape, so a TOTP code never counts as a failed
    backup-code attempt (django-otp throttles each device after failures)."""
    code = normalise_code(code)
    if not code or user is None or not user.is_authenticated:
        return None
    model = TOTPDevice if _TOTP_SHAPE.match(code) else StaticDevice
    device = model.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return None
    return django_otp.verify_token(user, device.persistent_id, code)


def check_login_code(request, user, code: str | None, *, username: str | None = None) -> bool:
    """At login, after the password: True if the user needs no code (no device) or gave a valid one.

    A missing or wrong code is reported to django-axes as a failed login (user_login_failed), so it counts
    towards the lockout like a wrong password. On success, `user.otp_device` is set, and django-otp's
    user_logged_in receiver marks the session verified.
    """
    if not is_enrolled(user):
        return True
    device = verify_code(user, code)
    if device is None:
        user_login_failed.send(
            sender=__name__, credentials={"username": username or user.get_username()}, request=request
        )
        log.info("login refused: user %s (id %s) gave a missing or wrong one-time code", user.get_username(),
                 user.pk)
        return False
    user.otp_device = device
    return True


def start_enrolment(user) -> TOTPDevice:
    """The user's unconfirmed authenticator device, created if there is none (a reload shows the same secret)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


@transaction.atomic
def confirm_enrolment(user, device: TOTPDevice, code: str | None) -> list[str] | None:
    """Confirm `device` with a first code. Returns the new backup codes (shown once), or None if the code is
    wrong. Any other authenticator device of the user is removed."""
    code = normalise_code(code)
    device = TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user, confirmed=False).first()
    if device is None or not _TOTP_SHAPE.match(code) or not device.verify_token(code):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = regenerate_backup_codes(user)
    log.info("two-step login set up: user %s (id %s)", user.get_username(), user.pk)
    return codes


@transaction.atomic
def regenerate_backup_codes(user) -> list[str]:
    """Replace all of the user's backup codes with BACKUP_CODE_COUNT new ones, and return them (shown once)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
    codes = []
    while len(codes) < BACKUP_CODE_COUNT:
        token = StaticToken.random_token()
        if token not in codes:
            codes.append(token)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=token) for token in codes])
    log.info("backup codes regenerated: user %s (id %s)", user.get_username(), user.pk)
    return codes


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def remove_devices(user) -> None:
    """Remove the user's authenticator and backup codes (to replace a lost or changed phone)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    log.warning("two-step login removed: user %s (id %s)", user.get_username(), user.pk)


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as a QR code, inline SVG drawn on the server (no script, no style)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


def secret_base32(device: TOTPDevice) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
