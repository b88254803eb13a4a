# mediasync: gunicorn web process or django-q2 worker, chosen by the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data \
    PORT=8000 \
    BIND=0.0.0.0 \
    PYTHON=python

RUN groupadd --system mediasync && useradd --system --gid mediasync --home /app mediasync

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=mediasync:mediasync . .
RUN mkdir -p /data && chown mediasync:mediasync /data

USER mediasync
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/health', timeout=4)" || exit 1

ENTRYPOINT ["bin/mediasync"]
CMD ["web"]
