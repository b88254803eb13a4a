# mediasync: gunicorn web process or django-q2 worker, chosen by the command.
#
# The runtime user has a fixed UID/GID (10001:10001 unless the build args say otherwise), so
# the host files it must read or write can be given to it: `chown -R 10001:10001 data secrets`
# on the host, or build with your own ids (MEDIASYNC_UID / MEDIASYNC_GID, see .env.example).
# The app code is owned by root and not writable by that user; it writes only to /data.
FROM python:3.11-slim-bookworm

ARG MEDIASYNC_UID=10001
ARG MEDIASYNC_GID=10001

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data \
    PORT=8000 \
    BIND=0.0.0.0 \
    PYTHON=python \
    MEDIASYNC_CONTAINER=1

RUN groupadd --gid "${MEDIASYNC_GID}" mediasync \
 && useradd --uid "${MEDIASYNC_UID}" --gid mediasync --no-create-home --home-dir /app \
      --shell /usr/sbin/nologin mediasync

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

# Root-owned and read-only for the runtime user (bytecode compiled here, as root, so that
# nothing needs writing under /app at run time).
COPY . .
RUN chmod -R u=rwX,go=rX /app && chmod 755 /app/bin/mediasync \
 && python -m compileall -q /app \
 && mkdir -p /data && chown mediasync:mediasync /data && chmod 750 /data

USER mediasync:mediasync
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/health', timeout=4)" || exit 1

ENTRYPOINT ["bin/mediasync"]
CMD ["web"]
