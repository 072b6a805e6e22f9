#!/usr/bin/env python3
"""Makes sample_model.pt, WeightScope's bundled sample: a tiny sequence
classifier (token embedding, one transformer encoder block, an MLP head) trained
for a few steps on a toy task, saved as a state_dict by PyTorch.

Run with Debian's /usr/bin/python3 (python3-torch): /usr/bin/python3 make_sample.py
"""
import pathlib

import torch
from torch import nn

torch.manual_seed(0)
VOCAB, DIM, SEQ, CLASSES = 64, 32, 8, 10


class SampleModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.block = nn.TransformerEncoderLayer(DIM, nhead=4, dim_feedforward=64,
                                                dropout=0.0, batch_first=True)
        self.head = nn.Sequential(nn.Linear(DIM, 64), nn.ReLU(), nn.Linear(64, CLASSES))

    def forward(self, tokens):
        return self.head(self.block(self.embed(tokens)).mean(dim=1))


model = SampleModel()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
# Toy task: the class is the largest token modulo 10.
for step in range(200):
    tokens = torch.randint(0, VOCAB, (32, SEQ))
    target = tokens.max(dim=1).values % CLASSES
    loss = nn.functional.cross_entropy(model(tokens), target)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"final loss {loss.item():.3f}")

out = pathlib.Path(__file__).resolve().parent / "sample_model.pt"
torch.save(model.state_dict(), out)
print("wrote", out)
