from django.apps import AppConfig


class GuardConfig(AppConfig):
    name = "guard"
    verbose_name = "Guard"

    def ready(self) -> None:
        from . import logins  # noqa: F401  (counts failed logins: user_login_failed)
