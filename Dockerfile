FROM python:3.11-slim-bookworm

# Toolchains for the local sandbox executor (used when EXECUTOR_BACKEND=local) and curl
# for health checks; with Judge0 in the stack they are only a fallback.
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap g++ nodejs openjdk-17-jdk-headless curl \
 && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 codementor && mkdir -p /app/var && chown codementor /app/var \
 && chmod 0755 /app/deploy/worker-entrypoint.sh
# web and beat run as this user. The worker (docker-compose.yml) runs as root with a
# reduced capability set so the local sandbox gets cgroups, slot uids, the tmpfs /box
# and seccomp, exactly as in the tests (docs/operations.md).
USER codementor
EXPOSE 8000
CMD ["gunicorn", "codementor.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
