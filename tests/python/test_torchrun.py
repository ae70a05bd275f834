"""The launcher's exit code from its failed ranks' codes (the protocol's, not torchrun's 1)."""

from mixlaw_torch.torchrun import protocol_exit_code


def test_divergence_and_bad_input_win_over_other_failures():
    assert protocol_exit_code({0: 1, 1: 3}) == 3
    assert protocol_exit_code({0: 2, 1: -9}) == 2
    assert protocol_exit_code({0: 3, 1: 2}) == 3


def test_otherwise_the_lowest_rank_speaks_and_a_signal_reads_as_128_plus_it():
    assert protocol_exit_code({1: 1, 0: 143}) == 143
    assert protocol_exit_code({3: 7, 2: -9}) == 137
