"""ax board: serve a read-only web view of the project until Ctrl-C.

Kept light like every command module: the web app (accel.board) is imported only when
the command runs, so `ax --help` never loads it.
"""

from __future__ import annotations

import re
import signal
import sys

import click

from accel.cli.common import load

_LISTEN = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[^\s:\[\]]*):(\d{1,5})$")


def parse_listen(text: str) -> tuple[str, int]:
    """'HOST:PORT' (IPv6 as '[::1]:PORT'; port 0 picks a free one) -> (host, port).

    An empty HOST (':8520') listens on every interface. A bad value is a UserError.
    """
    from accel.errors import UserError

    m = _LISTEN.match(text.strip())
    port = int(m.group(2)) if m else -1
    if not m or port > 65535:
        raise UserError(f"--listen: expected HOST:PORT (like 127.0.0.1:8520, [::1]:8520, or "
                        f"port 0 for a free one), got {text!r}")
    return m.group(1).strip("[]") or "0.0.0.0", port


@click.command()
@click.option("--listen", metavar="HOST:PORT",
              help="Where to listen (default: 'board listen' in accelerator.conf, else "
                   "127.0.0.1:8520). Port 0 picks a free port.")
@click.pass_context
def board(ctx: click.Context, listen: str | None) -> int:
    """Serve a read-only web view of the project: running and recent jobs, each job
    (options, inputs, timings, error, files, output), datasets and their first rows, urd
    lists and methods. Every page is also JSON (add ?json=1). Prints its address, and
    serves until Ctrl-C (or SIGTERM).

    Nothing is written into the workdirs; builds may run meanwhile, and a reload shows
    their new jobs.
    """
    from accel.errors import UserError

    cfg = load(ctx)
    host, port = parse_listen(listen) if listen is not None else cfg.board_listen
    sys.dont_write_bytecode = True  # method modules imported to show them leave no .pyc
    from accel.board.server import make_server

    try:
        server = make_server(cfg, host, port)
    except (OSError, OverflowError) as e:
        why = getattr(e, "strerror", None) or str(e)
        shown = f"[{host}]" if ":" in host else host
        raise UserError(f"board: cannot listen on {shown}:{port}: {why}") from None
    signal.signal(signal.SIGTERM, _stop)  # `kill` ends it as cleanly as Ctrl-C
    try:
        click.echo(f"ax board: serving {server.url} (read-only; Ctrl-C stops it)")
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
