import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Once per web process: warn when the stored facts were computed with other settings.
from kpis.stored_settings import stored_settings_announce  # noqa: E402

stored_settings_announce()
