FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_SETTINGS_MODULE=kaigan.settings.production SECRET_KEY=collectstatic-only \
    ALLOWED_HOSTS=localhost EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend \
    python manage.py collectstatic --noinput
RUN useradd --create-home kaigan \
    && mkdir -p /app/media && chown kaigan:kaigan /app/media && chmod 750 /app/media
USER kaigan
EXPOSE 8000
# Workers: gunicorn.conf.py (cores + 1, or WEB_CONCURRENCY).
CMD ["gunicorn", "kaigan.wsgi:application", "--bind", "0.0.0.0:8000"]
