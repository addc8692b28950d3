"""The site as gunicorn serves it, plus one bare view for the answer benchmark's baseline.

    gunicorn answer_wsgi:application --pythonpath bench,.

`POST /bench/answer/<token>/` finds the token's invitation and marks it answered: what an
answer costs at the least (a request through the site's middleware, a transaction, one indexed
SELECT, one UPDATE), measured in the same run as the survey page (bench/answers.py).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.conf import settings

settings.ROOT_URLCONF = "answer_urls"

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
