"""DigitNet (the reference network of cnn-bench) in PyTorch, for bench/compare_torch.py and
bench/reference_flask_app.py."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class DigitNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32)
        self.c2, self.b2 = nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64)
        self.c3, self.b3 = nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128)
        self.fc1, self.fc2 = nn.Linear(1152, 128), nn.Linear(128, 10)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.b1(self.c1(x))), 2)
        x = F.max_pool2d(F.relu(self.b2(self.c2(x))), 2)
        x = F.max_pool2d(F.relu(self.b3(self.c3(x))), 2)
        return self.fc2(self.drop(F.relu(self.fc1(torch.flatten(x, 1)))))
