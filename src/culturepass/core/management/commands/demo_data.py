from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from culturepass.core import clock
from culturepass.core.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = load_demo(now=clock.now(), site_url=settings.SITE_URL)
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {logins[0].password})")
        for login in logins:
            self.stdout.write(f"  {login.role:<38} {login.email:<28} {login.url}")
        mailer: dict[str, Any] = settings.MAILERS["default"]
        mail_dir = mailer.get("OPTIONS", {}).get("file_path")
        if mail_dir:
            self.stdout.write(f"  Emails (sign-up links, invitations) are written to {mail_dir}")
        self.stdout.write("")
