"""`torchrun` for the project's virtual environment: `python -m mixlaw_torch.torchrun ARGS`.

The same as `python -m torch.distributed.run`, with one repair for PyTorch 1.x under Python 3.11
or later (Debian 12's python3-torch 1.13 on its Python 3.11): torchrun maps the `--redirects` and
`--tee` values to flags by iterating the `Std` flag enum, and Python 3.11 no longer yields the
zero member `Std.NONE`, so every launch fails with "'NoneType' object has no attribute 'get'".
The repair looks values up by number instead. PyTorch 2 needs none and gets none.
"""

from __future__ import annotations

import re
import sys

import torch


def _repair_std_flags() -> None:
    from torch.distributed.elastic.multiprocessing import api

    def from_str(vm: str):
        if re.match(api._VALUE_REGEX, vm):
            return api.Std(int(vm))
        if re.match(api._MAPPING_REGEX, vm):
            return {int(i): api.Std(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
        raise ValueError(f"{vm} does not match: <{api._VALUE_REGEX}> or <{api._MAPPING_REGEX}>")

    api.Std.from_str = staticmethod(from_str)


def main() -> None:
    if int(torch.__version__.split(".")[0]) < 2 and sys.version_info >= (3, 11):
        _repair_std_flags()
    from torch.distributed.run import main as run

    run()


if __name__ == "__main__":
    main()
