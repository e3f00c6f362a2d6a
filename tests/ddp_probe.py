"""torchrun entry point for the DDP tests: maxray's CLI, and each rank reports on stderr how many
DistributedDataParallel wrappers are still alive when it destroys its process group (0 when the teardown frees them
first; see Runtime.close)."""

import gc
import sys

import torch
import torch.distributed as dist

from maxray_gen.cli import main

_destroy = dist.destroy_process_group


def _counting_destroy(*args, **kwargs):
    alive = sum(isinstance(o, torch.nn.parallel.DistributedDataParallel) for o in gc.get_objects())
    print(f"DDP wrappers alive at destroy_process_group: {alive}", file=sys.stderr, flush=True)
    return _destroy(*args, **kwargs)


dist.destroy_process_group = _counting_destroy

if __name__ == "__main__":
    main()
