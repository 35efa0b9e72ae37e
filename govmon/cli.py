"""The `govmon` command line.  Thin: parse arguments, load settings, call one function.

Imports of the heavy parts happen inside each command so that `govmon rules` does not
pay for Kafka clients, and nothing runs at import time.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


def _parse_time(value: str | None, what: str) -> datetime | None:
    if value is None:
        return None
    import msgspec

    try:
        # Decoded as an event's time is (RFC 3339; more than 6 fraction digits rounded,
        # not truncated), so an --as-of written like an event's time is that instant.
        parsed = msgspec.json.decode(msgspec.json.encode(value), type=datetime)
    except msgspec.ValidationError:
        try:  # other ISO 8601 forms (e.g. without seconds) are unambiguous too
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise typer.BadParameter(f"{what}: {value!r} is not an RFC 3339 time") from None
        if re.search(r"[.,]\d{7}", value) and parsed.tzinfo is not None:
            _check_range(what, parsed)  # the plainer problem first
            # Python would truncate them, where an event's time is rounded.
            raise typer.BadParameter(f"{what}: {value!r} has more than 6 fraction digits "
                                     "outside RFC 3339 form") from None
    if parsed.tzinfo is None:
        raise typer.BadParameter(f"{what}: {value!r} has no UTC offset (e.g. +08:00)")
    _check_range(what, parsed)
    return parsed


def _check_range(what: str, moment: datetime) -> None:
    from govmon.contract.events import in_range

    try:
        in_range(what, moment)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def produce(
    file: Annotated[Path, typer.Argument(help="JSON Lines file, one CloudEvent per line")],
    topic: Annotated[str, typer.Option(help="target topic")] = "gov.events.raw",
    wait: Annotated[
        bool, typer.Option(help="return only when every service has consumed what was sent")
    ] = False,
    progress: Annotated[bool, typer.Option(help="progress bar on stderr")] = True,
) -> None:
    """Publish a file of CloudEvents to Kafka, reporting refused lines by number."""
    from govmon.produce import produce_file
    from govmon.settings import load_settings

    raise typer.Exit(produce_file(load_settings(), file, topic=topic, wait=wait,
                                  progress=progress))


@app.command()
def replay(
    file: Annotated[Path, typer.Argument(help="JSON Lines file of CloudEvents")],
    year: Annotated[int, typer.Option(help="assessment year")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="RFC 3339 time; default: final")]
    = None,
    progress: Annotated[bool, typer.Option(help="progress bar on stderr")] = True,
) -> None:
    """Score a file of events with the pure rule engine; JSON on stdout."""
    from govmon.replay import main as replay_main
    from govmon.settings import load_settings

    settings = load_settings()
    raise typer.Exit(replay_main(file, year, _parse_time(as_of, "--as-of"), progress,
                                 max_bytes=settings.max_event_bytes,
                                 law_file=settings.law_file))


@app.command()
def report(
    year: Annotated[int, typer.Option(help="assessment year")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="RFC 3339 time; default: final")]
    = None,
) -> None:
    """The year's result from PostgreSQL, in the JSON `govmon replay` prints."""
    from govmon.report import main as report_main

    raise typer.Exit(report_main(year, _parse_time(as_of, "--as-of")))


@app.command()
def rules(year: Annotated[int, typer.Option(help="assessment year")]) -> None:
    """Show the rule catalog of a year as a table."""
    from govmon.catalog_table import main as rules_main

    raise typer.Exit(rules_main(year))


@app.command()
def simulate(
    out: Annotated[Path, typer.Argument(help="output JSON Lines file ('-' for stdout)")],
    year: Annotated[int, typer.Option(help="year to simulate")] = 2017,
    units: Annotated[int, typer.Option(help="number of units")] = 24,
    events: Annotated[int | None, typer.Option(help="approximate number of events")] = None,
    seed: Annotated[int, typer.Option(help="random seed")] = 2017,
    duplicates: Annotated[float, typer.Option(help="share of events sent twice")] = 0.0,
    invalid: Annotated[float, typer.Option(help="share of malformed lines")] = 0.0,
    shuffle: Annotated[bool, typer.Option(help="shuffle the output order")] = False,
) -> None:
    """Write a realistic simulated year of events for a city's units."""
    from govmon.simulate.cli import main as simulate_main

    raise typer.Exit(simulate_main(out, year=year, units=units, events=events, seed=seed,
                                   duplicates=duplicates, invalid=invalid, shuffle=shuffle))


@app.command()
def up() -> None:
    """Start the local stack (Kafka, PostgreSQL, services) in the background."""
    from govmon.localstack.stack import up as stack_up
    from govmon.settings import load_settings

    raise typer.Exit(stack_up(load_settings()))


@app.command()
def down() -> None:
    """Stop everything `govmon up` started; data is kept."""
    from govmon.localstack.stack import down as stack_down
    from govmon.settings import load_settings

    raise typer.Exit(stack_down(load_settings()))


@app.command()
def status() -> None:
    """Show what runs and where it listens."""
    from govmon.localstack.stack import status as stack_status
    from govmon.settings import load_settings

    raise typer.Exit(stack_status(load_settings()))


@app.command()
def clean() -> None:
    """Stop the stack and wipe local Kafka and PostgreSQL data."""
    from govmon.localstack.stack import clean as stack_clean
    from govmon.settings import load_settings

    raise typer.Exit(stack_clean(load_settings()))


def main() -> None:
    from govmon.settings import SettingsError

    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except SettingsError as exc:  # an environment variable: no traceback, its name
        print(f"govmon: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
