"""`report-qa serve`: load the engine once, then serve the Gradio app on loopback."""

from __future__ import annotations

import argparse
import os


def add_serve(commands) -> None:
    from ui.cli import common_options

    serve = commands.add_parser("serve", help="start the chat app (default http://127.0.0.1:7860)",
                                description="Serve the Gradio chat over a built index; "
                                "it makes no outbound connections.",
                                parents=[common_options()])
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    serve.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    serve.add_argument("--report", help="name of a built index (default: the bundled report)")
    serve.add_argument("--concurrency", type=int, default=None,
                       help="answers computed at once (default 4; the rest queue)")
    serve.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from ingest.errors import ReportQAError
    from retrieval.engine import Engine
    from ui.app import CONCURRENCY, build_app, launch_app
    from ui.cli import settings_from

    if args.concurrency is not None and args.concurrency < 1:
        raise ReportQAError(f"--concurrency must be at least 1, not {args.concurrency}.")
    from ui import api

    security = api.ServeSecurity.from_env(args.host)
    security.check_bind(args.host)  # a non-loopback address needs REPORT_QA_API_TOKEN and REPORT_QA_AUTH
    print("loading the index and the model…", flush=True)
    engine = Engine.load(settings=settings_from(args), report=args.report)
    # Load the model now rather than on the first user's question.
    engine.ask("What does the report say about caseloads?")
    # REST API at /api/* (docs at /docs), Host check, body limits, queue-only Gradio API, auth if configured.
    service = api.ApiService.for_engine(engine, args.concurrency or CONCURRENCY)
    # One library and one answer gate for both: a full gate is a 429 on /api/ask and "busy, try again" in the chat.
    demo = api.harden(build_app(engine, library=service.library, gate=service.gate), service, security)
    try:
        _, url, _ = launch_app(demo, args.host, args.port, concurrency=args.concurrency or CONCURRENCY,
                               prevent_thread_lock=True, quiet=True)
    except OSError as err:  # Gradio says "Cannot find empty port" when another server holds it
        raise ReportQAError(f"cannot listen on {args.host}:{args.port} ({err}); stop the other server or "
                            "pass --port with a free port.") from None
    print(f"serving {engine.document.name} on {url} (Ctrl+C stops)", flush=True)
    demo.block_thread()  # until Ctrl+C; Gradio closes the server then
    return 0
