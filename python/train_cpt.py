#!/usr/bin/env python3
"""The reference CPT trainer, runnable by path: `torchrun python/train_cpt.py --config RUN.json`.

Everything is in mixlaw_torch/train_cpt.py; this file only puts the package on the path.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mixlaw_torch.train_cpt import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
