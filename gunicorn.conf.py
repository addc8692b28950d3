"""gunicorn's settings, read from the project folder whatever its command line says.

Whether a request came over HTTPS is Django's call alone, through TRUSTED_PROXY (README,
"Production"). Left to itself, gunicorn believes X-Forwarded-Proto from any client on
127.0.0.1, so anyone on the machine could claim HTTPS.
"""

secure_scheme_headers: dict[str, str] = {}
