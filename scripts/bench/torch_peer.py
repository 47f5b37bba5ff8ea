"""
Benchmark peer for `npm run bench -- --compare torch`: the tutorial AlexNet (the engine's
`tutorial` variant: half-width AlexNet with batch norm after conv1 and conv2, dropout 0.25,
one sigmoid unit) in PyTorch on the CPU (or on the device named by a fourth argument, e.g.
cuda, for a lent GPU machine: scripts/device/), trained with Adam 1e-4 on BCE from logits.
Each step ends in a readback of its loss (as ours does), which also waits for a GPU.

Protocol: one JSON object per line on stdout. First line: {"ready": true, "torch": version,
"threads": n, "blas": "..."} after building the model and one untimed warm-up step. Then for
each line "step" read on stdin: one timed training step and one timed inference pass,
{"trainMs": t, "inferMs": t}. Bench-only: never imported by src/.
"""
import json
import sys
import time

import torch
import torch.nn as nn


def blas_in_use() -> str:
    try:
        with open('/proc/self/maps') as f:
            maps = f.read()
    except OSError:
        return 'unknown'
    for lib, name in (('libopenblas', 'OpenBLAS'), ('libmkl', 'MKL'), ('libblis', 'BLIS'), ('libblas.so', 'reference BLAS')):
        if lib in maps:
            return name
    return 'unknown'


def tutorial(size: int) -> nn.Module:
    def conv(cin, cout, k, s, pad):
        return [nn.Conv2d(cin, cout, k, s, pad), nn.ReLU()]

    layers = [*conv(3, 48, 11, 4, 0), nn.BatchNorm2d(48, momentum=0.01, eps=1e-3), nn.MaxPool2d(3, 2),
              *conv(48, 128, 5, 1, 2), nn.BatchNorm2d(128, momentum=0.01, eps=1e-3), nn.MaxPool2d(3, 2),
              *conv(128, 192, 3, 1, 1), *conv(192, 192, 3, 1, 1), *conv(192, 128, 3, 1, 1), nn.MaxPool2d(3, 2),
              nn.Flatten()]
    features = nn.Sequential(*layers)
    with torch.no_grad():
        n = features(torch.zeros(1, 3, size, size)).shape[1]
    return nn.Sequential(features, nn.Linear(n, 1024), nn.ReLU(), nn.Dropout(0.25),
                         nn.Linear(1024, 1024), nn.ReLU(), nn.Dropout(0.25), nn.Linear(1024, 1))


def main() -> None:
    size = int(sys.argv[1])
    batch = int(sys.argv[2])
    threads = int(sys.argv[3])
    device = torch.device(sys.argv[4] if len(sys.argv) > 4 else 'cpu')
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = tutorial(size).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, eps=1e-7)
    loss_fn = nn.BCEWithLogitsLoss()
    x = torch.rand(batch, 3, size, size, device=device)
    y = (torch.rand(batch, 1, device=device) > 0.5).float()

    def train_step() -> float:
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return float(loss)  # the readback, as ours reads its loss

    def infer() -> float:
        model.eval()
        with torch.no_grad():
            return float(torch.sigmoid(model(x)).sum())

    train_step()
    infer()
    blas = blas_in_use() if device.type == 'cpu' else f'{device.type}: {torch.cuda.get_device_name(device) if device.type == "cuda" else device}'
    print(json.dumps({'ready': True, 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas, 'device': str(device)}), flush=True)
    for line in sys.stdin:
        if line.strip() != 'step':
            continue
        t0 = time.perf_counter()
        train_step()
        t1 = time.perf_counter()
        infer()
        t2 = time.perf_counter()
        print(json.dumps({'trainMs': (t1 - t0) * 1000, 'inferMs': (t2 - t1) * 1000}), flush=True)


if __name__ == '__main__':
    main()
