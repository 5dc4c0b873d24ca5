"""HTTP for the board: routing, HTML or JSON, a job's files, errors as pages.

One thread per request (ThreadingHTTPServer). Every request reads what it shows afresh,
so a reload shows the jobs built since; nothing is written. Only what would cost a read of
every job (who uses whom, ended jobs' records) and the runs' records are kept between
requests, and read again as they change (accel.board.lineagedata). A page that fails is
a 500 page (the traceback goes to the board's stderr) and the server goes on.

    /                       running jobs, the newest jobs (?method= ?status= ?since= ?limit=)
    /job/REF                a job: what `ax job REF` shows, and its output (?columns=a,b:
                            its subjobs' options as columns)
    /job/REF/file/PATH      one of its files, as it is
    /job/REF/source         its method's source now, and whether the job was built from it
    /job/REF/ds/NAME        one of its datasets (?start=N&rows=M: which rows)
    /job/REF/ds/NAME/download.csv, .../download.parquet
                            its rows as a file, made while it is sent
    /ds/REF                 a dataset (JOB/NAME, or JOB for its 'default'); /ds/REF/download.csv
                            (a dataset named '.../download.csv' is reached by /job/REF/ds/NAME)
    /urd, /urd/LIST         urd lists, the entries of one (?columns=a,b: options as columns)
    /method, /method/NAME   methods, one method: its source, its newest jobs (?columns=)
    /runs                   one row per `ax run` (?limit=)
    /run/ID                 one run: its jobs as a graph, and listed (?method= ?limit=
                            ?columns=)
    /static/live.js         the script that keeps a running job's page up to date

Any page is JSON with ?json=1, or when the request's Accept header asks for JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import socketserver
import sys
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from accel.board import html, lineagepages, pages
from accel.board.data import Board
from accel.board.downloads import Download
from accel.board.files import SNIFF, content_type, open_job_file
from accel.board.live import open_static
from accel.config import Config
from accel.errors import NotFound, UserError
from accel.view.datasets import split_ref
from accel.view.jobs import split_values

# scripts only from the board's own /static/ (live.js), which fetches only from the board
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; "
            "connect-src 'self'; form-action 'self'")
FILE_CSP = "sandbox"  # a job's HTML file is shown, but can run nothing here
DOWNLOADS = {"download.csv": "csv", "download.parquet": "parquet"}


@dataclass
class FileReply:
    file: IO[bytes]
    name: str


class BoardServer(ThreadingHTTPServer):
    """The HTTP server; `board` is what its pages read."""

    def __init__(self, address: tuple[str, int], board: Board):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.board = board
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host's name up in DNS, which can stall: skip it
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    @property
    def url(self) -> str:
        host, port = self.server_name, self.server_port  # (set from server_address)
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the browser went away: nothing to say
        super().handle_error(request, client_address)


def make_server(cfg: Config, host: str, port: int) -> BoardServer:
    """A board for the project, bound (port 0: a free one) but not serving yet.
    OSError when the address cannot be bound."""
    return BoardServer((host, port), Board(cfg))


class Handler(BaseHTTPRequestHandler):
    server: BoardServer
    server_version = "accel-board"

    def do_GET(self) -> None:
        self._serve(with_body=True)

    def do_HEAD(self) -> None:
        self._serve(with_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # an access log of a local viewer is noise

    def _serve(self, with_body: bool) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        as_json = wants_json(query, self.headers.get("Accept", ""))
        reply: FileReply | Download | tuple[int, str, bytes]
        try:
            found = route(self.server.board, split_path(url.path), query)
            if isinstance(found, (FileReply, Download)):
                reply = found
            else:
                reply = self._render(found, as_json, url.path, query)
        except Exception as e:
            reply = self._render(self._error_page(e), as_json, url.path, query)
        try:
            if isinstance(reply, FileReply):
                self._send_file(reply, with_body)
            elif isinstance(reply, Download):
                self._send_download(reply, with_body)
            else:
                self._send(*reply, PAGE_CSP, with_body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _error_page(self, e: Exception) -> pages.Page:
        if isinstance(e, NotFound):
            return pages.error(404, str(e))
        if isinstance(e, UserError):
            return pages.error(400, str(e))
        sys.stderr.write(f"ax board: {self.path}: internal error\n{traceback.format_exc()}")
        return pages.error(500, f"{type(e).__name__}: {e}")

    def _render(self, page: pages.Page, as_json: bool, path: str,
                query: dict[str, list[str]]) -> tuple[int, str, bytes]:
        if as_json:
            text = json.dumps(page.data, indent=2, default=str, ensure_ascii=False)
            return page.status, "application/json; charset=utf-8", (text + "\n").encode()
        pairs = [(k, v) for k, vs in query.items() if k != "json" for v in vs]
        # one leading slash: '//host/x' would be a link to another site
        json_url = "/" + path.lstrip("/") + "?" + urlencode(pairs + [("json", "1")])
        doc = html.document(page.title, page.body, project=self.server.board.cfg.project_dir,
                            json_url=json_url)
        return page.status, "text/html; charset=utf-8", doc.encode("utf-8", "replace")

    def _headers(self, status: int, ctype: str, length: int | None, csp: str,
                 extra: tuple[tuple[str, str], ...] = ()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", csp)
        self.end_headers()

    def _send(self, status: int, ctype: str, payload: bytes, csp: str, with_body: bool) -> None:
        self._headers(status, ctype, len(payload), csp)
        if with_body:
            self.wfile.write(payload)

    def _send_file(self, reply: FileReply, with_body: bool) -> None:
        with reply.file as f:
            size = os.fstat(f.fileno()).st_size
            start = f.read(SNIFF)
            self._headers(200, content_type(reply.name, start), size, FILE_CSP)
            if with_body:
                self.wfile.write(start)
                shutil.copyfileobj(f, self.wfile)

    def _send_download(self, reply: Download, with_body: bool) -> None:
        """The file as it is made: chunked, so a download cut short by an error is seen
        as cut short (no final chunk; an HTTP/1.0 client gets the bytes until the close)."""
        chunked = self.request_version == "HTTP/1.1"
        if chunked:
            self.protocol_version = "HTTP/1.1"  # this response only; the connection closes
        extra = [("Content-Disposition", attachment(reply.name)), ("Connection", "close")]
        if chunked:
            extra.append(("Transfer-Encoding", "chunked"))
        self.close_connection = True
        try:
            self._headers(200, reply.content_type, None, FILE_CSP, tuple(extra))
            if not with_body:
                return
            for piece in reply.pieces:
                if piece:
                    self.wfile.write(b"%x\r\n%b\r\n" % (len(piece), piece) if chunked else piece)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:
            raise  # the browser went away: nothing was cut short by us (_serve handles it)
        except Exception:  # headers are out: the error can only be told by cutting it short
            sys.stderr.write(f"ax board: {self.path}: download cut short\n"
                             f"{traceback.format_exc()}")


def attachment(name: str) -> str:
    """Content-Disposition for a file saved as `name` (an ASCII name: downloads.file_name)."""
    return f'attachment; filename="{name}"'


def wants_json(query: dict[str, list[str]], accept: str) -> bool:
    """?json=1 (or ?json; ?json=0 says no), else an Accept header preferring JSON to HTML."""
    if "json" in query:
        return query["json"][-1].strip().lower() not in ("0", "false", "no", "off")
    types = [t.split(";")[0].strip().lower() for t in accept.split(",")]
    if "application/json" not in types:
        return False
    return "text/html" not in types or types.index("application/json") < types.index("text/html")


def split_path(path: str) -> list[str]:
    """'/job/dev-3/file/a%2Fb' -> ['job', 'dev-3', 'file', 'a/b']: split first, then decode
    each segment, so an encoded '/' or '..' stays inside its segment (and is refused there)."""
    raw = path.split("/")[1:]
    if raw and raw[-1] == "":
        raw.pop()  # a trailing slash
    return [unquote(s) for s in raw]


def route(board: Board, seg: list[str], query: dict[str, list[str]]
          ) -> pages.Page | FileReply | Download:
    """The page (or file) a path names; NotFound for any other path."""
    n = len(seg)
    if n == 0:
        return pages.home(board.home(query))
    head = seg[0]
    if head == "job" and n >= 2:
        if n == 2:
            return pages.job(board.job(seg[1], query))
        if seg[2] == "source" and n == 3:
            return pages.job_source(board.job_source(seg[1]))
        if seg[2] == "file" and n >= 4:
            return job_file(board, seg[1], seg[3:])
        if seg[2] == "ds" and n == 4:
            return pages.dataset(board.job_dataset(seg[1], seg[3], query))
        if seg[2] == "ds" and n == 5 and seg[4] in DOWNLOADS:
            return board.download(seg[1], seg[3], DOWNLOADS[seg[4]])
    elif head == "ds" and n >= 3 and seg[-1] in DOWNLOADS:
        jobref, name = split_ref("/".join(seg[1:-1]))
        return board.download(jobref, name, DOWNLOADS[seg[-1]])
    elif head == "ds" and n >= 2:
        return pages.dataset(board.dataset("/".join(seg[1:]), query))
    elif head == "urd" and n <= 2:
        return pages.urd_list(board.urd_list(seg[1], query)) if n == 2 \
            else pages.urd_lists(board.urd_lists())
    elif head == "method" and n <= 2:
        return pages.method(board.method(seg[1], query)) if n == 2 \
            else pages.methods(board.methods())
    elif head == "runs" and n == 1:
        return lineagepages.runs(board.lineage.runs(_limit(query)))
    elif head == "run" and n == 2:
        method = (query.get("method") or [""])[-1].strip() or None
        return lineagepages.run(board.lineage.run(seg[1], method, _limit(query),
                                                  split_values(query.get("columns", []))))
    elif head == "static" and n == 2:
        return FileReply(open_static(seg[1]), seg[1])
    raise NotFound(f"no page /{'/'.join(seg)} (pages: /, /job/REF, /ds/REF, /urd, /method, "
                   "/runs)")


def _limit(query: dict[str, list[str]]) -> int | None:
    """?limit=N (0: all); None when not given."""
    text = (query.get("limit") or [""])[-1].strip()
    if not text:
        return None
    if not text.isdigit():
        raise UserError(f"limit: {text!r} is not a number of rows (0 for all)")
    return int(text)


def job_file(board: Board, ref: str, parts: list[str]) -> FileReply:
    job = board.resolve(ref)
    f = open_job_file(job.path, parts)
    if f is None:
        raise NotFound(f"job {job} has no file {'/'.join(parts)!r}")
    return FileReply(f, parts[-1])
