"""A record of each integrity check: the audit chains walked, the stored evidence re-hashed (issue 13).

`manage.py verify_audit` and `verify_evidence` (cron) and the console's integrity page (an auditor's click)
each write one row, so the page can say when each was last verified, with what result and chain heads.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.core import display


class IntegrityCheck(models.Model):
    class Source(models.TextChoices):
        CONSOLE = "console", _("started in the console")
        COMMAND = "command", _("scheduled command")

    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    started_at = models.DateTimeField(_("started at"))
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The audit chains: None when this check did not walk them.
    audit_ok = models.BooleanField(_("audit chains intact"), null=True, blank=True)
    audit_heads = models.JSONField(_("chain heads"), default=list, blank=True)  # [{chain, count, last_id, last_hash}]
    audit_problem = models.TextField(_("first broken link"), blank=True)
    # The stored evidence: None when this check did not re-hash it.
    evidence_ok = models.BooleanField(_("evidence intact"), null=True, blank=True)
    evidence_counts = models.JSONField(_("evidence results"), default=dict, blank=True)  # {verified, mismatch, missing}
    evidence_problems = models.JSONField(_("evidence failures"), default=list, blank=True)  # [{case, evidence, kind}]

    class Meta:
        verbose_name = _("integrity check")
        verbose_name_plural = _("integrity checks")
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{display.when(self.started_at)} ({self.get_source_display()})"
