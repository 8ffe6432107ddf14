# PyTorch DataLoader with two worker processes (fork, shared-memory tensors, a pipe per worker).
import os

import torch
from torch.utils.data import DataLoader, Dataset, get_worker_info


class Squares(Dataset):
    def __len__(self):
        return 64

    def __getitem__(self, i):
        # which worker process made the sample: each must be a process of its own
        return torch.tensor([float(i)]), torch.tensor([float(i * i)]), get_worker_info().id, os.getpid()


if __name__ == "__main__":
    loader = DataLoader(Squares(), batch_size=8, num_workers=2, shuffle=False)
    total, workers, pids = 0.0, set(), set()
    for x, y, wid, pid in loader:
        assert torch.equal(x * x, y)
        total += y.sum().item()
        workers.update(wid.tolist())
        pids.update(pid.tolist())
    assert total == sum(i * i for i in range(64)), total
    assert workers == {0, 1} and len(pids) == 2 and os.getpid() not in pids, (workers, pids)
    print("torch loader ok")
