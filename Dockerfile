FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY . .
# The translations ship compiled (locale/*/LC_MESSAGES/django.mo): no gettext needed.
RUN pip install --no-cache-dir -e .
# Static files are collected at build, with hashed names and gzip copies that WhiteNoise serves.
# The production settings refuse to load without a secret, hosts and a site URL: these exist for
# this one command, which neither signs nor serves anything.
RUN DEBUG=0 SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    ALLOWED_HOSTS=build SITE_URL=http://build python manage.py collectstatic --noinput -v 0
RUN useradd --system --no-create-home ecoute
USER ecoute
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000"]
