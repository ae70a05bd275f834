"""`torchrun` that keeps the protocol's exit codes: `python -m mixlaw_torch.torchrun ARGS`.

torch's own torchrun ends with exit code 1 whenever a rank fails, so a worker could not tell a
diverged run (3: not retried) or a bad RUN.json (2) from a crash. This launcher runs the same
launch (`torch.distributed.run`, every flag the same) and exits with the ranks' protocol code:
3 if any rank diverged, else 2 if any refused its input, else the code of the lowest failed rank
(128 + N for a rank killed by signal N); 128 + N too when torchrun itself is stopped by signal N.

Under PyTorch 1.x, `--standalone` puts every launch's rendezvous on port 29400, so two single-node
runs on one machine (two workers' runs, say) meet in one store and hang or fail when the first
ends, and it names the store by host name, which a machine without a hosts entry cannot resolve.
There `--standalone` becomes a static rendezvous on 127.0.0.1 at a free port of its own.

It also repairs PyTorch 1.x under Python 3.11 or later (Debian 12's python3-torch 1.13 on its
Python 3.11): torchrun maps `--redirects` and `--tee` to flags by iterating the `Std` flag enum,
and Python 3.11 no longer yields its zero member `Std.NONE`, so every launch fails with
"'NoneType' object has no attribute 'get'". The repair looks values up by number instead.
PyTorch 2 needs none and gets none.
"""

from __future__ import annotations

import re
import sys

import torch

from .protocol import EXIT_DIVERGED, EXIT_USAGE


def _repair_std_flags() -> None:
    from torch.distributed.elastic.multiprocessing import api

    def from_str(vm: str):
        if re.match(api._VALUE_REGEX, vm):
            return api.Std(int(vm))
        if re.match(api._MAPPING_REGEX, vm):
            return {int(i): api.Std(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
        raise ValueError(f"{vm} does not match: <{api._VALUE_REGEX}> or <{api._MAPPING_REGEX}>")

    api.Std.from_str = staticmethod(from_str)


def _standalone_on_loopback(args) -> None:
    """PyTorch 1.x's --standalone as one node's static rendezvous on 127.0.0.1, at a free port."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args.standalone = False
    args.rdzv_backend = "static"
    args.rdzv_endpoint = ""
    args.master_addr = "127.0.0.1"
    args.master_port = port
    args.nnodes = "1"
    args.node_rank = 0


def protocol_exit_code(exit_codes: dict[int, int]) -> int:
    """The run's exit code from its failed ranks' (rank -> exit code, negative for a signal)."""
    codes = set(exit_codes.values())
    for code in (EXIT_DIVERGED, EXIT_USAGE):
        if code in codes:
            return code
    first = exit_codes[min(exit_codes)]
    return 128 - first if first < 0 else first


def main() -> None:
    old_torch = int(torch.__version__.split(".")[0]) < 2
    if old_torch and sys.version_info >= (3, 11):
        _repair_std_flags()
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    args = parse_args(sys.argv[1:])
    if old_torch and args.standalone:
        _standalone_on_loopback(args)
    try:
        run(args)
    except ChildFailedError as e:
        codes = {rank: failure.exitcode for rank, failure in e.failures.items()}
        code = protocol_exit_code(codes)
        print(f"torchrun: ranks failed (rank: exit code) {codes}; exiting {code}", file=sys.stderr)
        sys.exit(code)
    except SignalException as e:
        sys.exit(128 + int(e.sigval))


if __name__ == "__main__":
    main()
