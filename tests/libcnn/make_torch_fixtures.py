#!/usr/bin/python3
"""Writes the PyTorch reference values that test_torch.cpp compares libcnn with.

Run once (needs Debian's python3-torch); the test itself does not need PyTorch:
    /usr/bin/python3 tests/libcnn/make_torch_fixtures.py tests/libcnn/fixtures
Each fixture is a text file of tensors, one per line: name, 4 dimensions (padded with 1), then the values.
"""
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1234)
out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "fixtures")
out_dir.mkdir(parents=True, exist_ok=True)


def write(name, tensors):
    with open(out_dir / f"{name}.txt", "w") as f:
        for key, t in tensors.items():
            t = t.detach().to(torch.float64).contiguous()
            dims = list(t.shape) + [1] * (4 - t.dim())
            f.write(key + " " + " ".join(str(d) for d in dims) + " " + " ".join(f"{v:.9g}" for v in t.flatten().tolist()) + "\n")


def projection_grads(module, x):
    x = x.clone().requires_grad_(True)
    y = module(x)
    r = torch.randn_like(y)
    (y * r).sum().backward()
    return x, y, r


# 1. Conv2d with stride and padding.
conv = nn.Conv2d(2, 3, 3, stride=2, padding=1)
x, y, r = projection_grads(conv, torch.randn(2, 2, 7, 6))
write("conv2d", {"x": x, "weight": conv.weight, "bias": conv.bias, "y": y, "r": r, "dx": x.grad,
                 "dweight": conv.weight.grad, "dbias": conv.bias.grad})

# 2. BatchNorm2d in training mode, with its running statistics after one step.
bn = nn.BatchNorm2d(3)
with torch.no_grad():
    bn.weight.uniform_(0.5, 1.5)
    bn.bias.uniform_(-0.5, 0.5)
x, y, r = projection_grads(bn, torch.randn(4, 3, 3, 3) * 2 + 1)
write("batchnorm", {"x": x, "gamma": bn.weight, "beta": bn.bias, "y": y, "r": r, "dx": x.grad,
                    "dgamma": bn.weight.grad, "dbeta": bn.bias.grad, "running_mean": bn.running_mean,
                    "running_var": bn.running_var})


# 3. A small network, trained mode, cross-entropy loss: logits, loss and every gradient.
class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc1 = nn.Linear(4 * 4 * 4, 6)
        self.bn1 = nn.BatchNorm1d(6)
        self.fc2 = nn.Linear(6, 5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        x = F.relu(self.bn1(self.fc1(torch.flatten(x, 1))))
        return self.fc2(x)


net = Small()
x = torch.randn(3, 1, 8, 8, requires_grad=True)
labels = torch.tensor([4, 0, 2])
logits = net(x)
loss = F.cross_entropy(logits, labels)
loss.backward()
tensors = {"x": x, "labels": labels.to(torch.float64), "logits": logits, "loss": loss.reshape(1), "dx": x.grad}
for name, p in net.named_parameters():
    tensors[name] = p
    tensors["d" + name] = p.grad
write("network", tensors)

# 4. The CTC loss over a batch of lines of different widths, with repeats: logits laid out as libcnn's
# (N, C, 1, T), the per-sample losses, the mean and the sum, and the gradient of each reduction.
N, C, T = 3, 6, 12
ctc_logits = torch.randn(N, C, 1, T, dtype=torch.float64) * 2
lengths = torch.tensor([12, 9, 7])
targets = [[1, 2, 2, 3], [4, 4], [5, 1, 5]]
flat = torch.tensor([c for t in targets for c in t])
target_lengths = torch.tensor([len(t) for t in targets])
tensors = {"logits": ctc_logits, "lengths": lengths.to(torch.float64),
           "target_lengths": target_lengths.to(torch.float64), "targets": flat.to(torch.float64)}
for reduction in ("mean", "sum", "none"):
    z = ctc_logits.clone().requires_grad_(True)
    log_probs = F.log_softmax(z, dim=1).squeeze(2).permute(2, 0, 1)  # (T, N, C)
    loss = F.ctc_loss(log_probs, flat, lengths, target_lengths, blank=0, reduction=reduction)
    tensors["loss_" + reduction] = loss.reshape(-1)
    if reduction != "none":
        loss.backward()
        tensors["dlogits_" + reduction] = z.grad
write("ctc", tensors)
print(f"fixtures written to {out_dir}")
