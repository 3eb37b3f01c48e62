"""`manage.py judge0_check`: does the configured Judge0 match what we expect of it?

Calls /about, /languages and /config_info and reports every mismatch: a configured
language id missing or naming another language, batched submissions disabled or a
smaller batch size, maximum limits lower than the ones we send, callbacks configured
but disabled, maintenance mode, a version with known sandbox escapes. Exits non-zero
when anything is wrong (a deploy step can run it). `wait=true` being disabled is fine:
we never use it.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from submissions.executors.base import ExecutorError
from submissions.executors.judge0 import Judge0Client

# What the name of each configured language id must start with (self-hosted and hosted).
LANGUAGE_NAME_PREFIXES = {"python": "Python (3.", "javascript": "JavaScript", "cpp": "C++", "java": "Java ("}


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in str(version).split("-")[0].split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


def judge0_mismatches(*, client: Judge0Client) -> tuple[list[str], list[str]]:
    """(problems, notes) for the server behind `client`."""
    problems: list[str] = []
    notes: list[str] = []

    about = client.about() or {}
    version = str(about.get("version", "?"))
    notes.append(f"Judge0 version {version} at {client.base_url}")
    parsed = _version_tuple(version)
    if parsed and parsed < (1, 13, 1):
        problems.append(f"Judge0 {version} has known sandbox escapes (CVE-2024-28185/28189/29021): run >= 1.13.1.")

    languages = {int(item["id"]): str(item.get("name", "")) for item in client.languages() or [] if "id" in item}
    for language, language_id in sorted(settings.JUDGE0_LANGUAGE_IDS.items()):
        name = languages.get(int(language_id))
        prefix = LANGUAGE_NAME_PREFIXES.get(language, "")
        if name is None:
            problems.append(
                f"language {language}: id {language_id} is not offered by this Judge0 (JUDGE0_LANGUAGE_IDS)."
            )
        elif prefix and not name.startswith(prefix):
            problems.append(f"language {language}: id {language_id} is {name!r}, expected a name starting {prefix!r}.")
        else:
            notes.append(f"language {language}: id {language_id} = {name}")

    config = client.config_info() or {}
    if config.get("enable_batched_submissions") is False:
        problems.append("batched submissions are disabled (ENABLE_BATCHED_SUBMISSIONS=false): stdio needs them.")
    batch = config.get("max_submission_batch_size")
    if batch is not None and int(batch) < settings.JUDGE0_BATCH_SIZE:
        problems.append(f"max_submission_batch_size is {batch}; JUDGE0_BATCH_SIZE is {settings.JUDGE0_BATCH_SIZE}.")
    ours = {
        "max_cpu_time_limit": settings.JUDGE0_MAX_CPU_TIME_LIMIT,
        "max_wall_time_limit": settings.JUDGE0_MAX_WALL_TIME_LIMIT,
        "max_memory_limit": settings.JUDGE0_MAX_MEMORY_LIMIT_KB,
        "max_max_file_size": settings.JUDGE0_MAX_FILE_SIZE_KB,
    }
    for key, wanted in ours.items():
        value = config.get(key)
        if value is not None and float(value) < float(wanted):
            problems.append(f"{key} is {value}, lower than ours ({wanted}): requests at our cap would get 422.")
    if config.get("maintenance_mode"):
        problems.append("Judge0 is in maintenance mode: new submissions get 503.")
    callbacks_wanted = bool(settings.JUDGE0_CALLBACK_SECRET and settings.JUDGE0_CALLBACK_BASE_URL)
    if callbacks_wanted and config.get("enable_callbacks") is False:
        problems.append("callbacks are configured here but disabled in Judge0 (ENABLE_CALLBACKS=false).")
    if config.get("enable_wait_result") is False:
        notes.append("wait=true is disabled: fine, we only poll.")
    if config.get("enable_network"):
        problems.append("enable_network is on by default: student code could reach the network.")
    return problems, notes


class Command(BaseCommand):
    help = "Check the configured Judge0 (languages, batch support, limits); exit 1 on mismatch."

    def handle(self, *args, **options):
        try:
            with Judge0Client.from_settings() as client:
                problems, notes = judge0_mismatches(client=client)
        except ExecutorError as exc:
            raise CommandError(f"Judge0 check failed: {exc}")
        for note in notes:
            self.stdout.write(f"ok: {note}")
        for problem in problems:
            self.stderr.write(f"MISMATCH: {problem}")
        if problems:
            raise CommandError(f"{len(problems)} Judge0 mismatch(es); see above.")
        self.stdout.write(self.style.SUCCESS("Judge0 matches our configuration."))
