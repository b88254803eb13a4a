# mediasync: gunicorn web process or django-q2 worker, chosen by the command.
#
# The runtime user has a fixed UID/GID (10001:10001 unless the build args say otherwise), so
# the host files it must read or write can be given to it on the host:
# `sudo chown -R 10001:10001 data secrets`, or build with your own ids (MEDIASYNC_UID /
# MEDIASYNC_GID, see .env.example).
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

# The ids may already exist in the base image (gid 100 `users` is the usual `id -g` on Synology
# and openSUSE, gid 20 `dialout` is macOS's `staff`): a group or an account that already has
# the id is used as it is, and only a free id gets a new `mediasync` entry. So every line
# below names the numeric ids, never the name.
RUN if ! getent group "${MEDIASYNC_GID}" >/dev/null; then \
      groupadd --gid "${MEDIASYNC_GID}" mediasync; \
    fi \
 && if ! getent passwd "${MEDIASYNC_UID}" >/dev/null; then \
      useradd --uid "${MEDIASYNC_UID}" --gid "${MEDIASYNC_GID}" --no-create-home \
        --home-dir /app --shell /usr/sbin/nologin mediasync; \
    fi

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

# Root-owned and read-only for the runtime user (bytecode compiled here, as root, so that
# nothing needs writing under /app at run time).
COPY . .
RUN chmod -R u=rwX,go=rX /app && chmod 755 /app/bin/mediasync \
 && python -m compileall -q /app \
 && mkdir -p /data && chown "${MEDIASYNC_UID}:${MEDIASYNC_GID}" /data && chmod 750 /data

USER ${MEDIASYNC_UID}:${MEDIASYNC_GID}
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/health', timeout=4)" || exit 1

ENTRYPOINT ["bin/mediasync"]
CMD ["web"]
