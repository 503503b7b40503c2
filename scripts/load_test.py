"""Many users at once against `report-qa serve`'s REST API (POST /api/ask) or its chat: bounded, loopback only.

    report-qa serve &                                   # in another shell, or let --soak start one
    python scripts/load_test.py                         # 16 closed-loop clients for 30 s
    python scripts/load_test.py --clients 64 --think 5 --duration 60
    python scripts/load_test.py --target chat --clients 64 --think 5   # the chat, as the browser drives it
    python scripts/load_test.py --soak 300 --server-pid 1234
    python scripts/load_test.py --soak 300              # starts `report-qa serve` on a free port itself

Each client asks a question, waits for the answer, sleeps `--think` seconds, and asks the next (a closed
loop), until `--duration` seconds or `--max-requests` requests in all. Questions come from
evals/dataset.jsonl; each one gets a random harmless suffix word ("please", "thanks", ...) so that every
request is a distinct text and the server's question-vector cache does not flatter the numbers.
A 429 (server full) counts apart from errors; the client waits its Retry-After before asking again.

`--target chat` drives the chat's Ask button the way the browser does, through Gradio's queue protocol
(POST /gradio_api/queue/join, then the event stream GET /gradio_api/queue/data): each user is one Gradio
session asking in a new conversation. A "busy, try again in N s" reply (ui/busy.py) or Gradio's queue-full
503 counts as busy, apart from errors, and the user waits before asking again.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
DATASET = REPO / "evals" / "dataset.jsonl"
SUFFIXES = ("please", "thanks", "briefly", "exactly", "overall", "today", "again", "kindly", "now", "here")
MAX_CLIENTS = 128
MAX_DURATION = 1800.0  # seconds, the longest run or soak
MAX_REQUESTS = 200_000
MAX_THINK = 60.0
TIMEOUT = 30.0  # seconds per request
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TARGETS = {"api": "POST /api/ask", "chat": "Gradio chat"}


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)  # seconds, answered requests only
    errors: list[str] = field(default_factory=list)
    refused: int = 0  # 429s (chat: busy replies and Gradio queue-full 503s)
    reconnects: int = 0  # requests retried once on a new connection after an idle keep-alive was closed
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def requests(self) -> int:
        return len(self.latencies) + len(self.errors) + self.refused


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile. Example: percentile([1, 2, 3, 4], 0.5) -> 2; (..., 0.95) -> 4."""
    if not values:
        return float("nan")
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], not {share}")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil(n * share), at least the first value
    return ordered[int(rank) - 1]


def summary(stats: Stats) -> dict[str, float]:
    """The figures the report prints: throughput (answers/s), latency in ms, error and 429 counts."""
    ms = [v * 1000 for v in stats.latencies]
    return {
        "requests": stats.requests,
        "answered": len(stats.latencies),
        "errors": len(stats.errors),
        "refused_429": stats.refused,
        "reconnects": stats.reconnects,
        "seconds": round(stats.seconds, 2),
        "throughput": round(len(stats.latencies) / stats.seconds, 2) if stats.seconds > 0 else 0.0,
        "p50_ms": round(percentile(ms, 0.5), 1),
        "p95_ms": round(percentile(ms, 0.95), 1),
        "max_ms": round(max(ms, default=float("nan")), 1),
    }


def report(stats: Stats, clients: int, think: float, target: str = "api") -> str:
    s = summary(stats)
    refused = f"429 {s['refused_429']}" if target == "api" else f"busy {s['refused_429']}"
    lines = [
        f"{clients} clients ({TARGETS[target]}), think {think:g} s: {s['requests']} requests in "
        f"{s['seconds']:.1f} s, {s['throughput']:.1f} answers/s",
        f"answered {s['answered']}, errors {s['errors']}, {refused}, "
        f"keep-alive reconnects {s['reconnects']}",
        f"latency p50 {s['p50_ms']:.0f} ms, p95 {s['p95_ms']:.0f} ms, max {s['max_ms']:.0f} ms",
    ]
    lines += [f"  error: {e}" for e in stats.errors[:10]]
    return "\n".join(lines)


def load_questions(path: Path = DATASET) -> list[str]:
    if not path.is_file():
        raise SystemExit(f"no question file {path}; pass --questions with a JSONL file of {{'question': ...}}.")
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            text = json.loads(line).get("question")
            if isinstance(text, str) and text.strip():
                questions.append(text.strip())
    if not questions:
        raise SystemExit(f"{path} holds no questions; each line needs a 'question' field.")
    return questions


def variant(question: str, rng: random.Random) -> str:
    """The question with a harmless suffix word and a random number of spaces, so each text is new."""
    return f"{question.rstrip()}{' ' * rng.randint(1, 3)}{rng.choice(SUFFIXES)} {rng.randint(0, 10**6)}"


def check_url(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        raise ValueError(f"--url {url!r} is not http on loopback; this script only talks to 127.0.0.1.")
    return parts.hostname, parts.port or 80


def validate(args: argparse.Namespace) -> None:
    """Every bound in range, or a ValueError naming the bad value; fills in the default request budget."""
    check_url(args.url)
    if args.max_requests is None:
        args.max_requests = MAX_REQUESTS if args.soak is not None else 20_000
    if not 1 <= args.clients <= MAX_CLIENTS:
        raise ValueError(f"--clients must be 1..{MAX_CLIENTS}, not {args.clients}.")
    if not 0 <= args.think <= MAX_THINK:
        raise ValueError(f"--think must be 0..{MAX_THINK:g} s, not {args.think}.")
    if not 0 < args.duration <= MAX_DURATION:
        raise ValueError(f"--duration must be in (0, {MAX_DURATION:g}] s, not {args.duration}.")
    if not 1 <= args.max_requests <= MAX_REQUESTS:
        raise ValueError(f"--max-requests must be 1..{MAX_REQUESTS}, not {args.max_requests}.")
    if args.soak is not None and not 0 < args.soak <= MAX_DURATION:
        raise ValueError(f"--soak must be in (0, {MAX_DURATION:g}] s, not {args.soak}.")
    if args.server_pid is not None and args.server_pid < 1:
        raise ValueError(f"--server-pid must be a process id, not {args.server_pid}.")


# An idle keep-alive connection the server has closed (uvicorn closes them after 5 s): a browser or
# urllib3 retries such a request once on a new connection, and so does each client here.
STALE = (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected)


def _post(conn: http.client.HTTPConnection, body: str) -> tuple[http.client.HTTPResponse, bytes]:
    conn.request("POST", "/api/ask", body, {"Content-Type": "application/json"})
    reply = conn.getresponse()
    return reply, reply.read()


def one_client(host: str, port: int, questions: list[str], think: float, deadline: float,
               budget: list[int], stats: Stats, seed: int) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    reused = False
    try:
        while time.monotonic() < deadline:
            with stats.lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            body = json.dumps({"question": variant(rng.choice(questions), rng)})
            started = time.perf_counter()
            try:
                retryable = STALE if reused else ()  # the server closed an idle keep-alive: retry once, fresh
                try:
                    reply, data = _post(conn, body)
                except retryable:
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
                    with stats.lock:
                        stats.reconnects += 1
                    reply, data = _post(conn, body)
                reused = True
            except (OSError, http.client.HTTPException) as err:
                reused = False
                with stats.lock:
                    stats.errors.append(f"{type(err).__name__}: {err}")
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
                time.sleep(0.2)
                continue
            elapsed = time.perf_counter() - started
            pause = think
            with stats.lock:
                if reply.status == 200:
                    stats.latencies.append(elapsed)
                elif reply.status == 429:
                    stats.refused += 1
                    pause = max(think, float(reply.getheader("Retry-After") or 1))
                else:
                    stats.errors.append(f"HTTP {reply.status}: {data[:120]!r}")
            if pause:
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
    finally:
        conn.close()


def run(url: str, clients: int, think: float, duration: float, max_requests: int,
        questions: list[str], seed: int = 0) -> Stats:
    host, port = check_url(url)
    stats = Stats()
    budget = [max_requests]
    started = time.perf_counter()
    deadline = time.monotonic() + duration
    threads = [threading.Thread(target=one_client, daemon=True,
                                args=(host, port, questions, think, deadline, budget, stats, seed * 1000 + i))
               for i in range(clients)]
    for thread in threads:
        thread.start()
        if think:  # users arrive spread over one think time, not all in the same instant
            time.sleep(think / clients)
    for thread in threads:
        thread.join(timeout=duration + TIMEOUT + 5)
    stats.seconds = time.perf_counter() - started
    return stats


# ---------- the Gradio chat (queue protocol) ----------

CHAT_BUTTON = "rq-ask"  # elem_id of the chat's Ask button: its click event is what a user triggers
GRADIO = "/gradio_api"
BUSY_MARK = "try again in"  # in ui/busy.py's reply


@dataclass(frozen=True)
class ChatEndpoint:
    fn_index: int
    kinds: tuple[str, ...]  # the component type of each input, in order


def find_chat(host: str, port: int) -> ChatEndpoint:
    """The Ask button's event in the app's /config: its fn_index and input components."""
    conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    try:
        conn.request("GET", "/config")
        reply = conn.getresponse()
        data = reply.read()
    except OSError as err:
        raise SystemExit(f"no server on {host}:{port} ({err}); start `report-qa serve` or pass --url.") from None
    finally:
        conn.close()
    if reply.status != 200:
        raise SystemExit(f"GET /config on {host}:{port} gave HTTP {reply.status}; is it `report-qa serve`?")
    return chat_endpoint(json.loads(data))


def chat_endpoint(config: dict) -> ChatEndpoint:
    """Example: a config whose dependency 4 is the click of the component with elem_id "rq-ask", inputs
    a textbox, a chatbot and a state -> ChatEndpoint(4, ("textbox", "chatbot", "state"))."""
    components = {c["id"]: c for c in config.get("components", [])}
    for dep in config.get("dependencies", []):
        for target, event in dep.get("targets", []):
            if event == "click" and components.get(target, {}).get("props", {}).get("elem_id") == CHAT_BUTTON:
                return ChatEndpoint(dep["id"], tuple(components[i]["type"] for i in dep["inputs"]))
    raise SystemExit(f"the app has no button with elem_id {CHAT_BUTTON!r}; is it `report-qa serve`'s chat?")


def chat_payload(endpoint: ChatEndpoint, question: str, session: str) -> str:
    """The queue/join body the browser sends for Ask: the question, an empty conversation, the server-side
    state left to the server (null), no report chosen (the whole library)."""
    empty = {"textbox": question, "chatbot": [], "state": None, "dropdown": []}
    data = [empty.get(kind) for kind in endpoint.kinds]
    return json.dumps({"data": data, "event_data": None, "fn_index": endpoint.fn_index, "trigger_id": None,
                       "session_hash": session})


def chat_reply_text(output: dict) -> str:
    """The last chat message's text in a process_completed output (content: a string or a list of parts)."""
    messages = (output.get("data") or [[]])[0] or []
    if not messages:
        return ""
    content = messages[-1].get("content")
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def chat_outcome(message: dict) -> tuple[str, str]:
    """("answered" | "busy" | "error", detail) for one process_completed message."""
    output = message.get("output") or {}
    if not message.get("success", False):
        return "error", f"event failed: {str(output.get('error'))[:120]}"
    text = chat_reply_text(output)
    if BUSY_MARK in text and "busy" in text:
        return "busy", text
    if text.startswith("⚠️"):
        return "error", text[:120]
    return "answered", ""


def _completed(reply: http.client.HTTPResponse, event_id: str) -> dict:
    """Read the session's event stream until our event completes."""
    while True:
        line = reply.readline()
        if not line:
            raise http.client.IncompleteRead(b"", None)
        text = line.decode("utf-8", "replace").strip()
        if not text.startswith("data:"):
            continue
        message = json.loads(text[5:])
        if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
            return message


def ask_chat(host: str, port: int, endpoint: ChatEndpoint, question: str, session: str) -> tuple[str, str]:
    """One Ask through Gradio's queue: join, then wait on the event stream. ("busy", ...) on queue-full."""
    conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    try:
        conn.request("POST", f"{GRADIO}/queue/join", chat_payload(endpoint, question, session),
                     {"Content-Type": "application/json"})
        reply = conn.getresponse()
        data = reply.read()
        if reply.status == 503:
            return "busy", data.decode("utf-8", "replace")[:120]
        if reply.status != 200:
            return "error", f"HTTP {reply.status} on queue/join: {data[:120]!r}"
        event_id = json.loads(data)["event_id"]
        conn.request("GET", f"{GRADIO}/queue/data?session_hash={session}")
        stream = conn.getresponse()
        if stream.status != 200:
            return "error", f"HTTP {stream.status} on queue/data"
        return chat_outcome(_completed(stream, event_id))
    finally:
        conn.close()


def one_chat_user(host: str, port: int, endpoint: ChatEndpoint, questions: list[str], think: float,
                  deadline: float, budget: list[int], stats: Stats, seed: int) -> None:
    rng = random.Random(seed)
    session = f"load{seed}x{rng.randrange(16**8):08x}"
    while time.monotonic() < deadline:
        with stats.lock:
            if budget[0] <= 0:
                return
            budget[0] -= 1
        started = time.perf_counter()
        try:
            kind, detail = ask_chat(host, port, endpoint, variant(rng.choice(questions), rng), session)
        except (OSError, http.client.HTTPException, ValueError, KeyError) as err:
            kind, detail = "error", f"{type(err).__name__}: {err}"
        elapsed = time.perf_counter() - started
        pause = think
        with stats.lock:
            if kind == "answered":
                stats.latencies.append(elapsed)
            elif kind == "busy":
                stats.refused += 1
                pause = max(think, 2.0)
            else:
                stats.errors.append(detail)
        if pause:
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))


def run_chat(url: str, clients: int, think: float, duration: float, max_requests: int,
             questions: list[str], seed: int = 0) -> Stats:
    """As `run`, through the Gradio chat: each client is one browser session pressing Ask."""
    host, port = check_url(url)
    endpoint = find_chat(host, port)
    stats = Stats()
    budget = [max_requests]
    started = time.perf_counter()
    deadline = time.monotonic() + duration
    threads = [threading.Thread(target=one_chat_user, daemon=True, args=(
        host, port, endpoint, questions, think, deadline, budget, stats, seed * 1000 + i)) for i in range(clients)]
    for thread in threads:
        thread.start()
        if think:
            time.sleep(think / clients)
    for thread in threads:
        thread.join(timeout=duration + TIMEOUT + 5)
    stats.seconds = time.perf_counter() - started
    return stats


RUNNERS = {"api": run, "chat": run_chat}


# ---------- memory (soak) ----------


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` in MB, from /proc (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        raise SystemExit(f"no process {pid}; pass --server-pid of a running `report-qa serve`.") from None
    raise SystemExit(f"/proc/{pid}/status has no VmRSS line; is {pid} a running process?")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds `pid` has used so far, threads included, from /proc/<pid>/stat (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        raise SystemExit(f"no process {pid}; pass --server-pid of a running `report-qa serve`.") from None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)


def cpu_line(pid: int, seconds: float, answered: int) -> str:
    """Example: (1234, 12.4, 400) -> "server pid 1234: 12.4 CPU s, 31.0 CPU-ms per answer"."""
    per = f"{seconds * 1000 / answered:.1f} CPU-ms per answer" if answered else "no answers"
    return f"server pid {pid}: {seconds:.1f} CPU s, {per}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, wait: float = 180.0) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("report-qa")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "ui.cli"]
    server = subprocess.Popen([*command, "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"report-qa serve exited with {server.returncode}; run it by hand to see why.")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/reports")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(1)
    stop_server(server)
    raise SystemExit(f"report-qa serve did not answer on port {port} within {wait:.0f} s.")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)


def soak(args: argparse.Namespace, questions: list[str]) -> int:
    server = None
    url, pid = args.url, args.server_pid
    if pid is None:
        port = free_port()
        print(f"starting report-qa serve on 127.0.0.1:{port}…", flush=True)
        server = start_server(port)
        url, pid = f"http://127.0.0.1:{port}", server.pid
    try:
        runner = RUNNERS[args.target]
        runner(url, min(args.clients, 4), 0.0, 10.0, 500, questions, seed=99)  # warm up before the first sample
        start = rss_mb(pid)
        print(f"soak {args.soak:g} s, {args.clients} clients; server pid {pid} RSS at start {start:.0f} MB",
              flush=True)
        used = cpu_seconds(pid)
        stats = runner(url, args.clients, args.think, args.soak, args.max_requests, questions, seed=args.seed)
        end = rss_mb(pid)
        print(report(stats, args.clients, args.think, args.target))
        print(cpu_line(pid, cpu_seconds(pid) - used, len(stats.latencies)))
        print(f"RSS start {start:.0f} MB, end {end:.0f} MB, growth {end - start:+.0f} MB")
        return 1 if stats.errors else 0
    finally:
        if server is not None:
            stop_server(server)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                epilog="Every question is made distinct by a random suffix word and number, so "
                                "a question-vector cache on the server cannot flatter the figures.")
    p.add_argument("--url", default="http://127.0.0.1:7860", help="a running server (loopback only; "
                   "default %(default)s)")
    p.add_argument("--target", choices=sorted(TARGETS), default="api",
                   help="api: POST /api/ask (default); chat: the Gradio chat's Ask, through Gradio's queue")
    p.add_argument("--clients", type=int, default=16, help=f"closed-loop clients (1..{MAX_CLIENTS}, default 16)")
    p.add_argument("--think", type=float, default=0.0, help="seconds each client waits between answer and "
                   "next question (default 0)")
    p.add_argument("--duration", type=float, default=30.0, help="seconds to run (default 30)")
    p.add_argument("--max-requests", type=int, default=None,
                   help=f"requests in all, at most (default 20000; with --soak {MAX_REQUESTS})")
    p.add_argument("--questions", type=Path, default=DATASET, help="JSONL with a 'question' field per line")
    p.add_argument("--seed", type=int, default=0, help="random seed for questions and suffixes")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object too")
    p.add_argument("--soak", type=float, default=None, metavar="SECONDS",
                   help="run this long and print the server's RSS at start and end (and the growth)")
    p.add_argument("--server-pid", type=int, default=None, help="the server's pid: a run prints its CPU-ms per "
                   "answer; with --soak, its RSS too (without it a soak starts `report-qa serve` on a free port "
                   "and stops it after)")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    try:
        validate(args)
    except ValueError as err:
        p.error(str(err))
    questions = load_questions(args.questions)
    if args.soak is not None:
        return soak(args, questions)
    used = cpu_seconds(args.server_pid) if args.server_pid else 0.0
    stats = RUNNERS[args.target](args.url, args.clients, args.think, args.duration, args.max_requests, questions,
                                 seed=args.seed)
    print(report(stats, args.clients, args.think, args.target))
    if args.server_pid:  # the server's CPU per answer: a figure that holds on a machine shared with others
        print(cpu_line(args.server_pid, cpu_seconds(args.server_pid) - used, len(stats.latencies)))
    if args.json:
        print(json.dumps(summary(stats)))
    return 1 if stats.errors or not stats.latencies else 0


if __name__ == "__main__":
    sys.exit(main())
