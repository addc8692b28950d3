"""The site as gunicorn serves it, plus one bare view for the webhook benchmark's baseline.

    gunicorn webhook_wsgi:application --pythonpath bench,.

`POST /bench/insert/` stores the body in one row of `bench_webhook_row` and answers 202: what a
webhook receiver costs at the least (a request, a transaction, one INSERT), measured in the
same run as `/hooks/<source>/` (bench/webhooks.py).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.conf import settings

settings.ROOT_URLCONF = "webhook_urls"

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
