"""Fetching the broker's jars from Maven Central into a cache folder, once."""


from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path

import psutil

from govmon.localstack.kafka._common import _MARKER, KAFKA_VERSION, KafkaLocalError
from govmon.localstack.kafka.process import _java, _tail_text, _write_atomic

# --------------------------------------------------------------------------- artifacts


def infra_dir() -> Path:
    """``<repo>/infra/kafka`` (pom.xml and log4j2.properties), found upwards from this file."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "infra" / "kafka"
        if (candidate / "pom.xml").is_file():
            return candidate
    raise KafkaLocalError(
        f"infra/kafka/pom.xml not found above {here}; pass pom=/log4j_config= explicitly"
    )


def ensure_artifacts(
    cache_dir: Path,
    version: str = KAFKA_VERSION,
    *,
    quiet: bool = True,
    pom: Path | None = None,
) -> Path:
    """Return ``<cache_dir>/kafka-<version>/libs`` holding the broker's runtime jars.

    Idempotent: the first call runs ``mvn -f infra/kafka/pom.xml dependency:copy-dependencies
    -Dkafka.version=<version>`` into a scratch folder, moves it into place and writes a marker
    (with the pom's hash); later calls only check the marker, so a half-finished copy or a
    changed pom.xml is fetched again (unless a running broker uses the old jars: then they are
    kept, with a RuntimeWarning). Concurrent callers (``make up`` and a pytest session)
    are serialised with a file lock. Maven uses the user's normal ``~/.m2`` unless
    ``MAVEN_OPTS`` / ``~/.m2/settings.xml`` say otherwise.

    ``quiet=False`` streams Maven's output to stderr. Raises :class:`KafkaLocalError` when
    ``mvn`` or ``java`` is missing or the download fails (with the tail of Maven's output).
    """
    pom = (pom or infra_dir() / "pom.xml").resolve()
    if not pom.is_file():
        raise KafkaLocalError(f"{pom} does not exist")
    root = Path(cache_dir).expanduser().resolve() / f"kafka-{version}"
    libs = root / "libs"
    marker = root / _MARKER
    fingerprint = {
        "version": version,
        "pom_sha256": hashlib.sha256(pom.read_bytes()).hexdigest(),
    }
    if _marker_ok(marker, libs, fingerprint):
        return libs

    _java()  # fail early and clearly: the jars are useless without a JVM
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaLocalError("`mvn` (Apache Maven) is not on PATH; it fetches the Kafka jars")

    root.mkdir(parents=True, exist_ok=True)
    with _locked(root.parent / f"kafka-{version}.lock"):
        if _marker_ok(marker, libs, fingerprint):  # another process finished meanwhile
            return libs
        in_use = _libs_users(libs) if _marker_ok(marker, libs, {"version": version}) else []
        if in_use:
            # pom.xml changed, but replacing the jars under a running JVM would break its
            # class loading later on: keep them until those brokers are stopped.
            warnings.warn(
                f"{pom} changed since {libs} was fetched, but running broker(s) {in_use} use "
                "those jars; keeping them (stop the brokers to fetch again)",
                RuntimeWarning,
                stacklevel=2,
            )
            return libs
        marker.unlink(missing_ok=True)
        scratch = root / f"libs.partial-{os.getpid()}"
        shutil.rmtree(scratch, ignore_errors=True)
        cmd = [
            mvn, "-B", "--no-transfer-progress", "-Dstyle.color=never", *(["-q"] if quiet else []),
            "-f", str(pom),
            "dependency:copy-dependencies",
            f"-Dkafka.version={version}",
            f"-DoutputDirectory={scratch}",
            "-DincludeScope=runtime",
        ]  # fmt: skip
        code, output = _run(cmd, echo=not quiet, cwd=pom.parent)
        if code != 0:
            shutil.rmtree(scratch, ignore_errors=True)
            raise KafkaLocalError(
                f"fetching Kafka {version} jars failed (exit {code}): {' '.join(cmd)}\n"
                + _tail_text(output, 40)
            )
        jars = sorted(p.name for p in scratch.glob("*.jar"))
        if f"kafka_2.13-{version}.jar" not in jars:
            shutil.rmtree(scratch, ignore_errors=True)
            raise KafkaLocalError(
                f"mvn succeeded but kafka_2.13-{version}.jar is not in {scratch}\n"
                + _tail_text(output, 40)
            )
        shutil.rmtree(libs, ignore_errors=True)
        scratch.rename(libs)
        _write_atomic(marker, json.dumps({**fingerprint, "jars": jars}, indent=1))
    return libs


def _marker_ok(marker: Path, libs: Path, fingerprint: Mapping[str, str]) -> bool:
    try:
        data = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    if any(data.get(k) != v for k, v in fingerprint.items()):
        return False
    jars = data.get("jars") or []
    return bool(jars) and all((libs / name).is_file() for name in jars)


def _libs_users(libs: Path) -> list[int]:
    """Pids of running JVMs whose class path is ``<libs>/*``."""
    classpath = f"{libs}/*"
    users = []
    for proc in psutil.process_iter(["cmdline"]):
        if classpath in (proc.info.get("cmdline") or []):
            users.append(proc.pid)
    return users


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run(cmd: list[str], *, echo: bool, cwd: Path | None = None) -> tuple[int, str]:
    """Run ``cmd`` to completion; return (exit code, combined output). ``echo`` tees to stderr."""
    lines: list[str] = []
    with subprocess.Popen(
        cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, errors="replace",
    ) as proc:  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if echo:
                sys.stderr.write(line)
                sys.stderr.flush()
        code = proc.wait()
    return code, "".join(lines)


