"""CLI: ``python -m social_roi.sandbox serve|truth [--seed --start --days --scale]``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date

from social_roi.sandbox.world import WorldConfig, generate_world, thesis_summary, write_truth


def _world_args(p: argparse.ArgumentParser) -> None:
    d = WorldConfig()
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--start", type=date.fromisoformat, default=d.start_date, help="YYYY-MM-DD (UTC)")
    p.add_argument("--days", type=int, default=d.days)
    p.add_argument("--scale", type=float, default=d.scale)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m social_roi.sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the world's APIs over HTTP until Ctrl-C")
    _world_args(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--token", default="sandbox-token")
    truth = commands.add_parser("truth", help="write the ground-truth tables as Parquet")
    _world_args(truth)
    truth.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    cfg = WorldConfig(seed=args.seed, start_date=args.start, days=args.days, scale=args.scale)
    world = generate_world(cfg)
    if args.command == "truth":
        for path in write_truth(world, args.out):
            print(path)
        print(json.dumps(thesis_summary(world)), file=sys.stderr)
        return 0

    from social_roi.sandbox.server import SandboxServer  # only the serve command needs the HTTP stack

    with SandboxServer(world, host=args.host, port=args.port, token=args.token) as srv:
        print(
            f"Sandbox APIs at {srv.base_url} (seed {cfg.seed}, {cfg.days} days from "
            f"{cfg.start_date}, scale {cfg.scale}); token: {args.token}",
            flush=True,
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
