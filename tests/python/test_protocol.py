"""The protocol library: lines printed on rank 0 only, NaN as null, SIGTERM remembered."""

import io
import json
import math
import os
import signal

from mixlaw_torch import protocol


def test_rank_zero_prints_every_kind_of_line_and_other_ranks_print_nothing():
    out0, out1 = io.StringIO(), io.StringIO()
    for rank, out in ((0, out0), (1, out1)):
        r = protocol.Reporter(rank, out)
        r.total_steps(10)
        r.metric("train", 1, 2.5, tokens=512, lr=1e-3)
        r.metric("eval/base", 1, math.nan)
        r.artifact("checkpoint", "/runs/x/step-1")
    lines = [json.loads(l) for l in out0.getvalue().splitlines()]
    assert lines == [{"total_steps": 10},
                     {"step": 1, "split": "train", "loss": 2.5, "tokens": 512, "lr": 1e-3},
                     {"step": 1, "split": "eval/base", "loss": None},
                     {"artifact": "checkpoint", "path": "/runs/x/step-1"}]
    assert out1.getvalue() == ""


def test_exit_codes_are_the_protocols():
    assert protocol.EXIT_SUCCESS == 0 and protocol.EXIT_USAGE == 2 and protocol.EXIT_DIVERGED == 3
    assert protocol.Diverged("x").exit_code == 3
    assert protocol.UsageError("x").exit_code == 2


def test_sigterm_is_remembered_not_fatal_and_a_second_one_restores_the_default():
    stop = protocol.StopSignal().install()
    try:
        assert not stop.stopping
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.stopping and stop.received == signal.SIGTERM
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        stop._handle(signal.SIGTERM, None)  # a second signal while stopping
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        stop.uninstall()
