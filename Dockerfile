# The app's image: web (gunicorn), worker and beat all run from it (see docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml constraints.txt README.md ./
RUN pip install --no-cache-dir -c constraints.txt .

COPY . .
# Static files are collected at build time (placeholder settings: nothing connects here).
RUN DEBUG=off SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret-xx ALLOWED_HOSTS=build \
    SITE_URL=https://build DATABASE_URL=postgres://build@build/build CELERY_BROKER_URL=redis://build:6379/0 \
    python manage.py collectstatic --noinput \
 && useradd --system --uid 10001 okr && chown -R okr /app
USER okr

EXPOSE 8000
CMD ["gunicorn", "okrapp.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
