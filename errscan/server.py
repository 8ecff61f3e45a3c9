"""`errscan serve`: the CMS's pre-publish hook (POST /v1/check) and the clerks' page at /.

Each worker builds one Runner (the run layer: settings from `--config` or the `.errscan.yaml` of its working
folder, and their Scanner) at start-up and warms it (lists compiled, jieba loaded) before it takes the first
request. Every request is checked through it, as `errscan check` checks a file; a request's own options
(fail_on, min_severity, disable) are merged over the service's settings. The Runner is held in one
reference: a reload (POST /v1/reload, SIGHUP) builds a new one in
full and then swaps that reference, so a request sees the old lists or the new ones, never a mix; broken
lists keep the old ones. Texts are never logged or stored: the access log (uvicorn's) has method, path and
status only (and is off unless asked for), errors are logged by type, without their message.

Needs the `server` extra: FastAPI, uvicorn and python-multipart.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import dataclasses
import hashlib
import hmac
import json
import logging
import os
import re
import signal
import threading
import time
from base64 import b64encode
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, TypeVar

from fastapi import FastAPI, File, Form, Header, HTTPException, Query, Request, UploadFile
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

import errscan.deadline as deadline
from errscan._version import __version__
from errscan.config import ConfigError
from errscan.contract import documents_dict, finding_model
from errscan.detectors.privacy import mask_text
from errscan.model import FAIL_ON, SHOWN, Document, Report
from errscan.reporters.json import dump_bytes
from errscan.run import Checked, Runner
from errscan.settings import BY_NAME, KEYS, Invalid, merge
from errscan.snapshots import Snapshots

_T = TypeVar("_T")

__all__ = ["MAX_BODY", "TIME_LIMIT", "app_from_env", "create_app", "runner_factory", "serve"]

log = logging.getLogger("errscan.server")

MAX_BODY = 20 * 1024 * 1024  # bytes: a Word file with pictures; a page's text is far smaller
TIME_LIMIT = 10.0  # seconds per request, reading and scanning
CONFIG_ENV = "ERRSCAN_SERVE_CONFIG"  # serve() -> each worker: lists and limits, as JSON
TOKEN_ENV = "ERRSCAN_RELOAD_TOKEN"
TRIM_AFTER = 0.5  # seconds: after a check that long, the memory goes back to the system once no check runs
RELOAD_WAIT = 30.0  # seconds a reload waits for the other workers to serve the new lists
WARM_TEXT = "我们要再接再励，联系电话13912345678。"  # a list hit verified by jieba, and a privacy hit
PRIVACY = "privacy"  # the personal-data detector, named like a list in `lists`
PAGE = Path(__file__).resolve().parent / "web" / "index.html"

Level = Literal[FAIL_ON]  # type: ignore[valid-type]  # the vocabulary is model's
Shown = Literal[SHOWN]  # type: ignore[valid-type]


# --- the Runner: built, warmed, swapped ----------------------------------------------------------------------


def runner_factory(config: str | Path | None = None, **given: object) -> Callable[[], Runner]:
    """What a worker (and each reload) calls to build its Runner: `--config FILE`, or the `.errscan.yaml`
    found from the working folder, with the command line's options; personal data stays masked."""

    def build() -> Runner:
        runner = Runner(config, show_pii=False, **given)
        runner.scanners.get(runner.config_for(None))  # lists compiled now: a broken list fails the (re)load
        return runner

    return build


def warm(runner: Runner) -> None:
    """Everything a first request would otherwise pay for: the segmenter, the entries, the regexes."""
    from errscan.words import words

    words().cut("再接再厉")
    lex = scanner_of(runner).lexicon
    if len(lex.entries):
        lex.entries[0]  # a cached lexicon's entries are unpickled on first use
    runner.check(Document(WARM_TEXT), "<warm>", None)


def scanner_of(runner: Runner):  # type: ignore[no-untyped-def]
    return runner.scanners.get(runner.config_for(None))


class Holder:
    """One reference to the current Runner; `reload` replaces it only once a new one is fully built.

    With `snapshots` (one folder per `serve`, shared by its workers) a reload publishes the Runner it validated
    and the other workers `follow`: they thaw it instead of reading the files (errscan.snapshots)."""

    def __init__(self, factory: Callable[[], Runner], snapshots: Snapshots | None = None):
        self.factory = factory
        self.snapshots = snapshots
        self.scanner: Runner | None = None
        self.generation = 0
        self.loaded_at = 0.0
        self._lock = threading.Lock()  # one reload at a time; requests never wait for it
        self._stop = threading.Event()
        self._failed = 0  # a published generation this worker could not thaw: not tried again

    def _build(self) -> Runner:
        new = self.factory()
        warm(new)
        return new

    def _swap(self, new: Runner, generation: int) -> None:
        self.scanner = new  # one assignment: a request holds the old Runner or the new one
        self.generation = generation
        self.loaded_at = time.time()
        if self.snapshots is not None:
            self.snapshots.ack(generation)
        lex = scanner_of(new).lexicon
        log.info("词表已加载：%d 个词表，%d 条（第 %d 次）", len(lex.lists), len(lex.entries), generation)

    def start(self) -> Runner:
        """The first Runner: the service's latest published one, else one built from the files (published)."""
        if self.snapshots is None:
            return self.reload()
        with self._lock, self.snapshots.locked():  # the first worker builds, the others thaw what it built
            got = self.snapshots.latest()
            if got is None:
                new = self._build()
                generation = self.snapshots.publish(new.freeze())
            else:
                generation, new = got[0], Runner.thaw(got[1])
                warm(new)
            self._swap(new, generation)
        return new

    def reload(self) -> Runner:
        """Build and warm a new Runner from the files, publish it, swap. Raises (ListLoadError …) with the old
        one still in place and nothing published."""
        with self._lock:
            new = self._build()
            if self.snapshots is None:
                generation = self.generation + 1
            else:
                frozen = new.freeze()
                with self.snapshots.locked():
                    generation = self.snapshots.publish(frozen)
            self._swap(new, generation)
        return new

    def reload_quietly(self) -> None:
        """SIGHUP: reload, or log why not and keep serving the old lists."""
        try:
            self.reload()
        except Exception as exc:  # a signal handler has nobody to answer
            log.error("重新加载词表失败，继续使用原词表：%s", _load_error(exc)[1] or type(exc).__name__)

    def follow(self, every: float = 0.2) -> None:
        """Take each generation another worker publishes, until `stop` (a thread of each worker)."""
        while not self._stop.wait(every):
            try:
                self.catch_up()
            except Exception as exc:  # keep serving the lists it has; said once per generation
                log.error("未能载入其他进程重新加载的词表，继续使用原词表（%s）", type(exc).__name__)

    def catch_up(self) -> bool:
        """Thaw the latest published Runner if it is newer than this one; whether it did."""
        assert self.snapshots is not None
        published = self.snapshots.generation()
        if published <= self.generation or published == self._failed:
            return False
        with self._lock:
            got = self.snapshots.latest()
            if got is None or got[0] <= self.generation:
                return False
            try:
                new = Runner.thaw(got[1])
                warm(new)
            except Exception:
                self._failed = got[0]
                raise
            self._swap(new, got[0])
        return True

    def stop(self) -> None:
        self._stop.set()


def _trim() -> None:
    """Hand the memory the checks freed back to the system (glibc keeps it in its arenas otherwise: a worker
    that had run 3 MB checks among others stayed at 400-600 MB)."""
    global _malloc_trim
    if _malloc_trim is None:
        import ctypes
        import ctypes.util

        try:
            _malloc_trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):  # not glibc: nothing to do
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim: object = None


def _load_error(exc: Exception) -> tuple[str, list[str]]:
    from errscan.lexicon import ListLoadError

    if isinstance(exc, ListLoadError):
        return f"词表有 {len(exc.errors)} 处错误，未重新加载，仍使用原词表", [str(e) for e in exc.errors]
    if isinstance(exc, OSError):
        return "无法读取词表，未重新加载，仍使用原词表", [f"{exc.filename or ''}: {exc.strerror or exc}"]
    if isinstance(exc, ConfigError):  # settings, or an office's register of posts
        return "配置有误，未重新加载，仍使用原词表", [_scrub(f"{w}: {m}") for w, _, m in exc.errors]
    return "重新加载词表失败，仍使用原词表", [type(exc).__name__]


# --- requests and answers ------------------------------------------------------------------------------------


REQUEST_KEYS = tuple(k.name for k in KEYS if k.request)


def _option_fields() -> dict[str, object]:
    """The request's settings, derived from settings.KEYS (those marked `request`); None: the service's own."""
    types = {"fail_on": Optional[Level], "shown": Optional[Shown], "ids": Optional[list[str]]}
    return {k.name: (types[k.kind], Field(None, description=k.help)) for k in KEYS if k.request}


class _CheckBody(BaseModel):
    """A text or an HTML page to check before it is published."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "我们要再接再励。", "fail_on": "warning"}]},
    )

    text: Optional[str] = Field(None, description="纯文本稿件（与 html 二选一）")
    html: Optional[str] = Field(None, description="网页 HTML（与 text 二选一），按网页读取：只查正文文字")
    filename: Optional[str] = Field(None, max_length=1000, description="报告中的文件名（path），默认 <text> 或 <html>")
    lists: Optional[list[str]] = Field(
        None, description="只报告这些词表的问题（见 GET /v1/lists 的 id；privacy 为个人信息检测）；默认全部"
    )

    @model_validator(mode="after")
    def _one_source(self) -> _CheckBody:
        if (self.text is None) == (self.html is None):
            raise ValueError("text 与 html 须给出且只给出其中一个")
        return self

    def options(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in REQUEST_KEYS}


CheckRequest = create_model("CheckRequest", __base__=_CheckBody, **_option_fields())  # type: ignore[call-overload]


FindingOut = finding_model()  # the JSON finding contract (contract.py), as errscan check --format json writes it


class CheckResponse(BaseModel):
    """The same contract as `errscan check --format json`, plus the verdict."""

    version: int
    verdict: Literal["pass", "fail"]
    fail_on: Level
    findings: list[FindingOut]
    summary: dict[str, object]
    documents: dict[str, dict[str, str]]
    text: Optional[str] = Field(None, description="仅 with_text=true：读出的正文（个人信息已打码），偏移以此为准")


class Problem(BaseModel):
    detail: object
    errors: Optional[list[str]] = None


class Options:
    """A request's choices over the service's settings, checked against the lists its Runner has."""

    def __init__(self, runner: Runner, given: dict[str, object], lists: Sequence[str] | None):
        self.runner = runner
        try:
            self.config = merge(runner.config_for(None), **given)
        except Invalid as exc:
            raise _invalid(("body",), str(exc)) from None
        self.fail_on = self.config.fail_on
        self.lists: frozenset[str] | None = None
        if lists is not None:
            scanner = runner.scanners.get(self.config)
            known = {i.id for i in scanner.lexicon.lists} | {PRIVACY}
            unknown = sorted(set(lists) - known)
            if unknown:
                msg = f"未加载的词表：{'、'.join(unknown)}（已加载：{'、'.join(sorted(known))}）"
                raise _invalid(("body", "lists"), msg)
            self.lists = frozenset(lists)

    def scan(self, doc: Document, path: str) -> Checked:
        """The run layer's result, narrowed to the lists asked for."""
        checked = self.runner.check(doc, path, None, config=self.config)
        if self.lists is not None:
            kept = tuple(f for f in checked.findings if f.list_id in self.lists)
            checked = dataclasses.replace(checked, findings=kept)
        return checked


_DIGITS = re.compile(r"\d{7,}[Xx]?")


def _scrub(text: str) -> str:
    """What an error message may echo of a request: personal numbers masked (mask_text), and any other run of
    seven digits or more too, wherever it stands (list123456789012, a key, a file name)."""
    return _DIGITS.sub(lambda m: m[0][:3] + "*" * (len(m[0]) - 7) + m[0][-4:], mask_text(text))


# pydantic's error types, said in Chinese; {…} are the error's ctx fields. The field names stay in `loc`.
MSG_ZH = {
    "missing": "缺少此项", "extra_forbidden": "未知的字段", "json_invalid": "JSON 格式错误",
    "string_type": "应为字符串", "string_unicode": "应为字符串", "int_type": "应为整数", "int_parsing": "应为整数",
    "int_from_float": "应为整数", "float_type": "应为数字", "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false", "bool_parsing": "应为 true 或 false", "list_type": "应为列表",
    "dict_type": "应为 JSON 对象", "model_type": "应为 JSON 对象", "model_attributes_type": "应为 JSON 对象",
    "literal_error": "应为以下之一：{expected}", "enum": "应为以下之一：{expected}",
    "greater_than": "应大于 {gt}", "greater_than_equal": "应不小于 {ge}", "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}", "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符", "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "date_from_datetime_parsing": "应为日期，如 2025-03-10", "date_parsing": "应为日期，如 2025-03-10",
    "date_type": "应为日期，如 2025-03-10",
}


def _msg_zh(error: dict[str, Any]) -> str:
    """One validation error's message in Chinese (a ValueError of ours is Chinese already)."""
    kind, ctx = str(error.get("type", "")), error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error.get("msg", ""))).removeprefix("Value error, ")
    template = MSG_ZH.get(kind)
    if template is None:
        return str(error.get("msg", ""))
    fields = {k: str(v).replace(" or ", "、").replace("', '", "'、'") for k, v in ctx.items()}
    try:
        return template.format(**fields)
    except (KeyError, IndexError):
        return template.split("：")[0]


def _invalid(loc: tuple[str, ...], msg: str) -> HTTPException:
    """A 422; the message may name what the request gave (a list id), never a number in it in full."""
    return HTTPException(422, [{"loc": list(loc), "msg": _scrub(msg), "type": "value_error"}])


def answer(checked: Checked, doc: Document, opts: Options, started: float, with_text: bool = False) -> bytes:
    """The JSON answer: the shown findings; the verdict from fail_on over every finding, shown or not."""
    findings = checked.shown
    report = Report(
        findings=tuple(findings), files=1, elapsed=time.perf_counter() - started,
        fail_on=checked.config.fail_threshold, documents=((checked.path, checked.metadata),),
        hidden=tuple(sorted(checked.hidden.items())), verdict=checked.failed,
    )
    body: dict[str, object] = {
        "version": 1,
        "verdict": "fail" if report.failed else "pass",
        "fail_on": opts.fail_on,
        "findings": [f.to_dict() for f in report.findings],
        "summary": report.summary(),
        "documents": documents_dict(report.documents),
    }
    if with_text:  # masked whatever the request's lists or settings (privacy off, lists=typo)
        body["text"] = mask_text(doc.text)
    return dump_bytes(body)


ANNOTATED_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _annotated(checked: Checked, opts: Options, data: bytes, name: str) -> Response:
    """The uploaded Word or Excel file with its findings as comments and its safe fixes as tracked changes
    (annotate.py); the verdict and the counts in headers."""
    from urllib.parse import quote

    from errscan.annotate import annotate_checked

    kind = checked.metadata.get("kind", "")
    if kind not in ANNOTATED_TYPES:
        raise _invalid(("query", "annotate"), f"只有 Word（.docx）和 Excel（.xlsx）文件可以返回审校稿，此文件为 {kind}")
    blob, outcome = annotate_checked(opts.runner, checked, data)
    suffix = Path(name).suffix if Path(name).suffix.lower() in (".docx", ".docm", ".xlsx", ".xlsm") else f".{kind}"
    target = _scrub(f"{Path(name).stem}.审校{suffix}")
    return Response(blob, media_type=ANNOTATED_TYPES[kind], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(target)}",
        "X-Errscan-Verdict": "fail" if checked.failed else "pass",
        "X-Errscan-Findings": str(len(checked.shown)),
        "X-Errscan-Comments": str(outcome.comments),
        "X-Errscan-Revisions": str(outcome.revisions),
        "Access-Control-Expose-Headers": "X-Errscan-Verdict, X-Errscan-Findings, X-Errscan-Comments, "
                                         "X-Errscan-Revisions",
    })


def _fixed(checked: Checked, data: bytes, name: str) -> Response:
    """The uploaded Word file with its safe fixes made in its runs (formatting kept), as `errscan fix --write`
    would; what was fixed and what is left for a person in headers."""
    from urllib.parse import quote

    from errscan.annotate import fix_docx

    kind = checked.metadata.get("kind", "")
    if kind != "docx":
        raise _invalid(("query", "fixed"), f"只有 Word（.docx）文件可以返回改正稿，此文件为 {kind}")
    blob, outcome = fix_docx(data, checked.shown, tracked=False)
    suffix = Path(name).suffix if Path(name).suffix.lower() in (".docx", ".docm") else ".docx"
    target = _scrub(f"{Path(name).stem}.改{suffix}")
    left = len(checked.shown) - outcome.revisions
    return Response(blob, media_type=ANNOTATED_TYPES[kind], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(target)}",
        "X-Errscan-Verdict": "fail" if checked.failed else "pass",
        "X-Errscan-Findings": str(len(checked.shown)),
        "X-Errscan-Fixed": str(outcome.revisions),
        "X-Errscan-Left": str(left),
        "Access-Control-Expose-Headers": "X-Errscan-Verdict, X-Errscan-Findings, X-Errscan-Fixed, X-Errscan-Left",
    })


def _json(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="application/json")


def _problem(status: int, detail: object, headers: dict[str, str] | None = None, **extra: object) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status, headers=headers)


# --- limits --------------------------------------------------------------------------------------------------


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"请求过大（上限 {_size(limit)}），未检查；请拆分文稿或压缩文件中的图片")


class BodyTooSlow(HTTPException):
    def __init__(self) -> None:
        super().__init__(408, f"请求内容发送过慢（{BODY_SECONDS:g} 秒内未收完），未检查")


BODY_SECONDS = 60.0  # the whole body must arrive within this


def _size(n: int) -> str:
    return f"{n / 1048576:.0f} MB" if n >= 1048576 else f"{n // 1024} KB" if n >= 1024 else f"{n} 字节"


class BodyLimit:
    """413 for a body over the limit: from Content-Length before reading, and while reading (chunked)."""

    def __init__(self, app: Callable[..., Awaitable[None]], max_body: int):
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:  # type: ignore[type-arg]
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body
        for key, value in scope["headers"]:
            if key == b"content-length" and value.isdigit() and int(value) > limit:
                await _reject(send, limit)
                return
        received, started, complete = 0, False, False
        deadline = asyncio.get_running_loop().time() + BODY_SECONDS

        async def limited() -> dict:  # type: ignore[type-arg]
            nonlocal received, complete
            if complete:  # the body is in: later receives wait for the client to go, with no deadline
                return await receive()  # type: ignore[no-any-return]
            left = deadline - asyncio.get_running_loop().time()
            try:
                message = await asyncio.wait_for(receive(), max(left, 0.0))
            except asyncio.TimeoutError:
                raise BodyTooSlow() from None  # a client dripping its body holds no connection for ever
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
                complete = not message.get("more_body", False)
            return message  # type: ignore[no-any-return]

        async def tracked(message: dict) -> None:  # type: ignore[type-arg]
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, tracked)
        except BodyTooLarge:
            if not started:
                await _reject(send, limit)
        except BodyTooSlow:
            if not started:
                await _reject(send, limit, status=408, detail=BodyTooSlow().detail)


async def _reject(send: Callable, limit: int, status: int = 413, detail: str | None = None) -> None:  # type: ignore[type-arg]
    body = json.dumps({"detail": detail or BodyTooLarge(limit).detail}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# --- the app -------------------------------------------------------------------------------------------------

DESCRIPTION = """errscan 的检查服务：发布前检查（CMS 调用）和供工作人员使用的网页（/）。

- `POST /v1/check`：JSON `{"text": ...}` 或 `{"html": ...}`，返回与 `errscan check --format json` 相同的结果，
  另有 `verdict`（pass/fail，按 `fail_on`，默认 warning）。
- `POST /v1/check/file`：上传 Word、PDF、Excel、网页或文本文件（multipart，字段名 file）；`?annotate=true`
  对 Word、Excel 文件返回审校稿（批注和修订），`?fixed=true` 对 Word 文件返回改正稿（可自动改正之处直接改正，
  保留格式）；结论和数目在 `X-Errscan-Verdict`、`X-Errscan-Findings` 等响应头中。
- 个人信息在结果中打码；文稿不记录、不保存。
- 错误：413 请求过大；422 请求格式错误或文件无法读取；503 检查超时（可重试）。
"""


class Service:
    """What one app serves from: the Holder of the Runner, the time limit, the reload token, the page's headers.

    Its methods are the app's lifespan, exception handlers and routes (registered by `create_app`)."""

    def __init__(
        self, factory: Callable[[], Runner], time_limit: float, reload_token: str | None,
        snapshots: Snapshots | None = None, workers: int = 1,
    ):
        self.holder = Holder(factory, snapshots)
        self.workers = workers  # the service's worker processes: a reload answers once they all serve it
        self.time_limit = time_limit
        self.heavy = max(2, os.cpu_count() or 2)  # checks run at once in this process
        self.running = 0  # places taken (_take, _give: on the event loop only)
        self.untrimmed = False  # a long check ended since the memory was last handed back
        self.waiting: collections.deque[asyncio.Future[bool]] = collections.deque()
        self.token = f"Bearer {reload_token}".encode() if reload_token else None  # None: no /v1/reload
        self.page_headers = _page_headers()

    @asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        """Build (or thaw) and warm the Runner before the first request; SIGHUP reloads while serving, and
        with the service's snapshots a thread follows the reloads of the other workers. A SIGHUP while the
        first lists load reloads once they are in (the signal's default would end the process)."""
        hup = _install_sighup(self.holder)
        try:
            await asyncio.to_thread(self.holder.start)
        except Exception as exc:
            if hup:
                asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            _, errors = _load_error(exc)
            for line in errors:
                log.error("%s", line)
            log.error("词表加载失败，服务未启动")
            raise
        if self.holder.snapshots is not None:
            threading.Thread(target=self.holder.follow, name="errscan-follow", daemon=True).start()
        try:
            yield
        finally:
            self.holder.stop()
            if hup:
                asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)

    async def limited(self, fn: Callable[[], _T]) -> _T:
        """Run `fn` in a thread within the time limit; 503 with Retry-After when over it.

        At most `heavy` checks run at once (more would only share the cores and the memory); a request waits
        for a free one within the time limit. The limit is the check's too (errscan.deadline): a check over its
        time stops at the scan's next step, frees its place and its memory, instead of running on unseen."""
        started = time.monotonic()
        if not await self._take(self.time_limit):
            raise HTTPException(
                503, f"服务繁忙（{self.time_limit:g} 秒内没有空闲的检查位置），未检查；请稍后重试",
                headers={"Retry-After": "2"},
            )
        left = self.time_limit - (time.monotonic() - started)
        loop = asyncio.get_running_loop()

        def run() -> _T:
            began = time.monotonic()
            try:
                with deadline.within(left):
                    return fn()
            finally:
                long = time.monotonic() - began > TRIM_AFTER
                loop.call_soon_threadsafe(self._give, long)  # when the work has really ended

        # Not wait_for: a check cancelled before its thread started would never give its place back. It runs in
        # any case (and stops at once when its time is gone); its result, or error, is dropped when too late.
        job = loop.run_in_executor(None, contextvars.copy_context().run, run)
        job.add_done_callback(lambda f: f.cancelled() or f.exception())
        done, _ = await asyncio.wait({job}, timeout=max(left, 0.0))
        try:
            if job in done:
                return job.result()
        except deadline.Overtime:
            pass
        raise HTTPException(
            503, f"检查超时（超过 {self.time_limit:g} 秒），未完成；请稍后重试，或把文稿分成几部分检查",
            headers={"Retry-After": "1"},
        )

    async def _take(self, timeout: float) -> bool:
        """A place to run a check, waiting at most `timeout`; False if none freed. (asyncio.Semaphore under
        wait_for can lose a place when the wait times out just as it is granted: counted here instead.)"""
        if self.running < self.heavy:
            self.running += 1
            return True
        fut = asyncio.get_running_loop().create_future()
        self.waiting.append(fut)
        await asyncio.wait({fut}, timeout=timeout)
        if fut.done():  # handed a place by _give, perhaps just after the timeout
            return True
        self.waiting.remove(fut)
        fut.cancel()
        return False

    def _give(self, long: bool = False) -> None:
        """A check ended: its place goes to the longest waiting request, or back to the pool. Once no check
        runs, after a long one, the memory the checks freed goes back to the system (_trim)."""
        self.untrimmed |= long
        while self.waiting:
            fut = self.waiting.popleft()
            if not fut.done():
                fut.set_result(True)
                return
        self.running -= 1
        if self.running == 0 and self.untrimmed:
            self.untrimmed = False
            asyncio.get_running_loop().run_in_executor(None, _trim)

    def current(self) -> Runner:
        """The Runner a request is checked through; 503 while the lists are still loading."""
        scanner = self.holder.scanner
        if scanner is None:
            raise HTTPException(503, "服务正在启动，词表尚未加载")
        return scanner

    # --- exception handlers ---

    async def invalid_request(self, request: Request, exc: RequestValidationError) -> JSONResponse:
        """422 with where and what only: pydantic's `input` would echo the text back."""
        errors = [{"loc": [_scrub(x) if isinstance(x, str) else x for x in e.get("loc", ())],  # a JSON key too
                   "msg": _scrub(_msg_zh(e)), "type": e.get("type", "")} for e in exc.errors()]
        return JSONResponse({"detail": errors, "message": "请求格式不正确，未检查"}, status_code=422)

    async def http_error(self, request: Request, exc: StarletteHTTPException) -> Response:
        """FastAPI's own 400 for a body it cannot parse (not UTF-8, not JSON) becomes a 422 in Chinese, like every
        other malformed request; the rest as raised."""
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            return JSONResponse({"detail": "请求内容无法解析（须为 UTF-8 编码的 JSON），未检查"}, status_code=422)
        return await http_exception_handler(request, exc)

    async def failed(self, request: Request, exc: Exception) -> JSONResponse:
        """500, logged by the error's type and the path: never the text."""
        log.error("内部错误（%s），未完成检查：%s", type(exc).__name__, request.url.path)
        return JSONResponse({"detail": "内部错误，未完成检查"}, status_code=500)

    # --- routes: comments, not docstrings, which FastAPI would publish as each operation's description ---

    async def check(self, req: CheckRequest) -> Response:
        # POST /v1/check: a text or an HTML page in JSON
        started = time.perf_counter()
        opts = Options(self.current(), req.options(), req.lists)

        def job() -> bytes:
            doc, path = _request_document(req)
            return answer(opts.scan(doc, path), doc, opts, started)

        try:
            return _json(await self.limited(job))
        except _read_error() as exc:
            raise HTTPException(422, str(exc)) from None

    async def check_file(
        self,
        file: Annotated[UploadFile, File(description="Word（docx/doc）、PDF、Excel（xlsx）、网页或文本文件")],
        fail_on: Annotated[Optional[Level], Form(description=_help("fail_on"))] = None,
        min_severity: Annotated[Optional[Shown], Form(description=_help("min_severity"))] = None,
        disable: Annotated[Optional[str], Form(description="逗号分隔；" + _help("disable"))] = None,
        lists: Annotated[Optional[str], Form(description="逗号分隔的词表 id；默认全部")] = None,
        with_text: Annotated[bool, Query(description="同时返回读出的正文（网页用它显示标注）")] = False,
        annotate: Annotated[
            bool, Query(description="返回审校稿而不是 JSON：Word、Excel 文件，每处问题一条批注，"
                                    "可自动改正的同时作为修订")
        ] = False,
        fixed: Annotated[
            bool, Query(description="返回改正稿而不是 JSON：Word 文件，可自动改正之处直接改正（保留格式）")
        ] = False,
    ) -> Response:
        # POST /v1/check/file: an uploaded file, with the options as form fields
        started = time.perf_counter()
        wanted = _split(lists) if lists is not None else None
        given = {"fail_on": fail_on, "min_severity": min_severity, "disable": _split(disable) if disable else None}
        opts = Options(self.current(), given, wanted)
        data = await file.read()
        name = file.filename or "upload"
        shown = _scrub(name)  # the answer names the file as sent, a personal number in the name masked

        def job() -> bytes | Response:
            from errscan.readers import read

            doc = read(data, name)
            if annotate and fixed:
                raise _invalid(("query", "fixed"), "annotate 与 fixed 只能选一个")
            if annotate:
                return _annotated(opts.scan(doc, shown), opts, data, name)
            if fixed:
                return _fixed(opts.scan(doc, shown), data, name)
            return answer(opts.scan(doc, shown), doc, opts, started, with_text)

        try:
            got = await self.limited(job)
        except _read_error() as exc:
            raise HTTPException(422, _scrub(f"无法检查 {name}：{exc}")) from None
        return got if isinstance(got, Response) else _json(got)

    async def healthz(self) -> dict[str, object]:
        # GET /healthz: the lists' sizes and the reload generation
        scanner = scanner_of(self.current())
        return {"status": "ok", "version": __version__, "lists": len(scanner.lexicon.lists),
                "entries": len(scanner.lexicon.entries), "generation": self.holder.generation}

    async def lists(self) -> dict[str, object]:
        # GET /v1/lists: the lists loaded
        return lists_body(self.current())

    async def reload(self, authorization: Annotated[Optional[str], Header()] = None) -> JSONResponse:
        # POST /v1/reload: 401 without the token, 409 (old lists kept) when the new ones do not load
        token = self.token or b""
        if not authorization or not hmac.compare_digest(authorization.encode("utf-8", "replace"), token):
            return _problem(401, "令牌无效", headers={"WWW-Authenticate": "Bearer"})
        try:
            scanner = await asyncio.to_thread(self.holder.reload)
        except Exception as exc:  # every failure keeps the old lists and says why
            detail, errors = _load_error(exc)
            log.error("%s", detail)
            return _problem(409, detail, errors=errors)
        generation = self.holder.generation
        body = {"reloaded": True, "generation": generation, **lists_body(scanner)}
        if self.holder.snapshots is not None:  # the other workers thaw what this one published
            body["workers"] = {"total": self.workers, "updated": await self._serving(generation)}
        return JSONResponse(body)

    async def _serving(self, generation: int) -> int:
        """How many workers serve `generation`, once all do or RELOAD_WAIT has passed."""
        snapshots = self.holder.snapshots
        assert snapshots is not None
        until = time.monotonic() + RELOAD_WAIT
        while True:
            serving = await asyncio.to_thread(snapshots.serving, generation)
            if serving >= self.workers or time.monotonic() > until:
                return serving
            await asyncio.sleep(0.05)

    async def page(self) -> Response:
        # GET / (and HEAD): the clerks' page, under a strict CSP
        return Response(PAGE.read_bytes(), media_type="text/html; charset=utf-8", headers=self.page_headers)


def _request_document(req: _CheckBody) -> tuple[Document, str]:
    """The Document of a /v1/check body, and its path in the report."""
    if req.html is not None:
        from errscan.readers import read

        # with a BOM the page's own <meta charset> cannot mislead the decoder
        doc = read(b"\xef\xbb\xbf" + req.html.encode("utf-8", "surrogatepass"), "page.html", kind="html")
        doc = dataclasses.replace(doc, metadata={k: v for k, v in doc.metadata.items() if k != "encoding"})
        return doc, req.filename or "<html>"
    return Document(req.text or "", "text", {}), req.filename or "<text>"


def create_app(
    runner_factory: Callable[[], Runner] = runner_factory(),  # noqa: B008 - built once, called per worker
    max_body: int = MAX_BODY,
    time_limit: float = TIME_LIMIT,
    reload_token: str | None = None,
    snapshots: str | Path | None = None,
    workers: int = 1,
) -> FastAPI:
    """The ASGI app. The Runner is built and warmed in the lifespan, before the first request is taken.
    `snapshots`: the folder the `workers` of one service share their lists through (errscan.snapshots)."""
    shared = Snapshots(snapshots) if snapshots is not None else None
    service = Service(runner_factory, time_limit, reload_token, shared, workers)
    app = FastAPI(
        title="errscan", version=__version__, description=DESCRIPTION, lifespan=service.lifespan,
        docs_url=None, redoc_url=None,  # Swagger UI loads scripts from a CDN; /openapi.json is enough
    )
    app.state.holder = service.holder
    app.add_middleware(BodyLimit, max_body=max_body)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, service.invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, service.http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, service.failed)
    _add_routes(app, service)
    return app


def _add_routes(app: FastAPI, service: Service) -> None:
    """The service's routes, with the summaries and answers the OpenAPI schema shows."""
    problems = {413: {"model": Problem, "description": "请求过大"},
                422: {"model": Problem, "description": "请求格式错误、未加载的词表，或文件无法读取"},
                503: {"model": Problem, "description": "检查超时，或服务正在启动"}}
    checked = {"methods": ["POST"], "response_model": CheckResponse, "responses": problems}
    app.add_api_route("/v1/check", service.check, summary="检查文本或网页", **checked)  # type: ignore[arg-type]
    app.add_api_route("/v1/check/file", service.check_file, summary="检查上传的文件", **checked)  # type: ignore[arg-type]
    app.add_api_route("/healthz", service.healthz, methods=["GET"], summary="存活检查")
    app.add_api_route("/v1/lists", service.lists, methods=["GET"], summary="已加载的词表")
    if service.token is not None:
        answers = {401: {"model": Problem}, 409: {"model": Problem}}
        app.add_api_route("/v1/reload", service.reload, methods=["POST"], summary="重新加载词表（需令牌）",
                          responses=answers)  # type: ignore[arg-type]
    app.add_api_route("/", service.page, methods=["GET", "HEAD"], include_in_schema=False)


def _split(value: str) -> list[str]:
    return [x.strip() for x in re.split(r"[,，\s]+", value) if x.strip()]


def _help(key: str) -> str:
    return BY_NAME[key].help


def lists_body(runner: Runner) -> dict[str, object]:
    from errscan.reporters.lists import lists_dict

    scanner = scanner_of(runner)
    return lists_dict(scanner.lexicon, scanner.privacy)


def _read_error() -> type[Exception]:
    from errscan.readers import ReadError

    return ReadError


def _install_sighup(holder: Holder) -> bool:
    """SIGHUP reloads the lists in this process (only possible in the main thread)."""
    if not hasattr(signal, "SIGHUP"):
        return False
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, holder.reload_quietly))
    except (ValueError, RuntimeError, NotImplementedError):  # not the main thread (tests), or no signals
        return False
    return True


def _page_headers() -> dict[str, str]:
    """A CSP that admits only the page's own inline script and style, by hash: injected markup runs nothing."""
    page = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
    hashes = {}
    for tag in ("script", "style"):
        blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", page, re.S)
        hashes[tag] = " ".join(f"'sha256-{b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks)
    csp = (f"default-src 'none'; script-src {hashes['script'] or 'none'}; style-src {hashes['style'] or 'none'}; "
           "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store"}


# --- running it ----------------------------------------------------------------------------------------------


def app_from_env() -> FastAPI:
    """uvicorn's factory for each worker: the settings `serve` put in the environment."""
    if not log.handlers:  # beside uvicorn's own lines, in its format
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     errscan: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    cfg = json.loads(os.environ.get(CONFIG_ENV) or "{}")
    return create_app(
        runner_factory(cfg.get("config"), **cfg.get("given", {})),
        max_body=int(cfg.get("max_body", MAX_BODY)),
        time_limit=float(cfg.get("time_limit", TIME_LIMIT)),
        reload_token=os.environ.get(TOKEN_ENV) or None,
        snapshots=cfg.get("snapshots"),
        workers=int(cfg.get("workers", 1)),
    )


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    *,
    config: str | Path | None = None,
    given: dict[str, object] | None = None,
    max_body: int = MAX_BODY,
    time_limit: float = TIME_LIMIT,
    reload_token: str | None = None,
    access_log: bool = False,
    runner: Runner | None = None,
    head_seconds: float | None = None,
) -> None:
    """Run uvicorn with `workers` processes, each loading the lists once. Blocks until stopped.

    `runner`: the lists already validated (the command line's), which every worker then checks with.
    `head_seconds`: how long a request's line and headers may take (serve_protocol.HEAD_SECONDS)."""
    import shutil
    import tempfile

    import uvicorn

    given = dict(given or {})
    if given.get("lists"):
        given["lists"] = [str(Path(p).resolve()) for p in given["lists"]]  # type: ignore[union-attr]
    folder = tempfile.mkdtemp(prefix="errscan-serve-")  # the workers' shared lists (mode 0700)
    try:
        if runner is not None:
            Snapshots(folder).publish(runner.freeze())
        os.environ[CONFIG_ENV] = json.dumps({
            "config": str(Path(config).resolve()) if config else None, "given": given,
            "max_body": max_body, "time_limit": time_limit, "snapshots": folder, "workers": workers,
            **({"head_seconds": head_seconds} if head_seconds is not None else {}),
        })
        if reload_token:
            os.environ[TOKEN_ENV] = reload_token
        if host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("监听 %s：检查接口没有身份验证，请只在内网或反向代理之后开放", host)
        settings = uvicorn.Config(
            "errscan.server:app_from_env", factory=True, host=host, port=port, workers=workers,
            access_log=access_log,  # off by default (0.5 ms a request); method, path and status only, never a text
            # uvicorn pings each worker (a thread of its own answers, even while the lists load) and waits this long
            # for the answer; a worker that just crashed can cost one full wait before it is replaced
            server_header=False, timeout_worker_healthcheck=30,  # a cold cache: the lists, jieba, the fuzzy index
            http="errscan.serve_protocol:HeadTimedProtocol",  # a request's head within its deadline
        )
        if workers > 1:
            _supervisor_class()(settings, sockets=[settings.bind_socket()]).run()
        else:
            server = uvicorn.Server(settings)
            server.run()
            if not server.started:  # the lists did not load: said in the log
                raise SystemExit(3)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _supervisor_class() -> type:
    from uvicorn.supervisors import Multiprocess

    class Supervisor(Multiprocess):  # type: ignore[misc]
        """uvicorn's manager of the workers, but SIGHUP reloads the lists instead of replacing every worker
        (which read the files again and dropped requests): one worker reloads, the others follow it."""

        hup_pending = False

        def handle_hup(self) -> None:
            self.hup_pending = True
            self.deliver_hup()

        def deliver_hup(self) -> None:
            """To one worker that has started serving (one still starting would die of the signal, or thaw the
            old lists); none yet: tried again on the manager's next round."""
            for process in self.processes:
                if process.process.is_alive() and process.pid and process.is_ready(timeout=1):
                    log.info("收到 SIGHUP：由工作进程 %d 重新加载词表，其他进程随后载入", process.pid)
                    os.kill(process.pid, signal.SIGHUP)
                    self.hup_pending = False
                    return

        def keep_subprocess_alive(self) -> None:
            super().keep_subprocess_alive()
            if self.hup_pending and not self.should_exit.is_set():
                self.deliver_hup()

    return Supervisor

