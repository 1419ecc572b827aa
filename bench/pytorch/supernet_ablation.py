#!/usr/bin/env python3
"""Why does the supernet's warm-up learn slowly? Ablations on the PyTorch reference (no plan from ours).

Trains the supernet of train_step.py (the space of examples/fashion-mnist/full.yaml) for `steps` warm-up
steps on Fashion-MNIST images 0..17,999 (a seeded torch permutation, batch 64), one path per mixed op
drawn uniformly per step (python `random.Random(seed)`), SGD + Nesterov 0.9, cosine LR over 846 steps
(full.yaml's 3 epochs), L2 4e-5, label smoothing 0.1 — the setting bench/supernet-curve.mjs compares
ours against — and changes one thing per variant ('+' combines them):

  base        as ours
  zerogamma   γ = 0 in the last BN (project) of every candidate of the blocks with an identity shortcut:
              each such block starts as the identity whatever path is drawn
  nozero      the `zero` candidate is never drawn
  lr<X>       base learning rate X (ours: 0.05)
  fanin       He normal over fan-in (k·k·in; depthwise k·k) instead of ours' fan-out (k·k·out)
  fixed       no sampling: always the fixed architecture of train_step.py (an upper bound)

Prints the training accuracy over the last 50 steps and the validation accuracy of the fixed
architecture through the supernet (BN batch statistics) on images 18,000..19,999.

Usage: python3 bench/pytorch/supernet_ablation.py base zerogamma nozero lr0.2 fanin zerogamma+lr0.2 fixed --steps 200 --seed 1
"""
import argparse
import math
import os
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_step  # noqa: E402
from train_step import ARCHITECTURE, SEARCH, Net, cosine_lr, make_optimizer  # noqa: E402
from supernet_reference import evaluate, load_train  # noqa: E402

TOTAL = 846  # full.yaml: 3 epochs of 282 batches (cosine horizon)
KNOWN = ('base', 'zerogamma', 'nozero', 'fanin', 'fixed')


def run(variant, steps, seed, x, y, xv, yv):
    opts = set(variant.split('+'))
    hp = dict(SEARCH)
    for o in opts:
        if o.startswith('lr'):
            hp['lr'] = float(o[2:])
        elif o not in KNOWN:
            raise SystemExit(f'unknown variant part {o!r} (expected one of {", ".join(KNOWN)} or lr<X>)')
    torch.manual_seed(seed)
    rng = random.Random(seed)
    original = train_step.he_normal_
    if 'fanin' in opts:
        def fan_in(w, _fan):
            with torch.no_grad():
                w.normal_(0.0, math.sqrt(2.0 / w[0].numel()))  # w[0]: in/groups · k · k
        train_step.he_normal_ = fan_in
    try:
        net = Net(None)
    finally:
        train_step.he_normal_ = original
    net.train()
    if 'zerogamma' in opts:
        for b in net.blocks:
            if b.residual:
                for m in b.candidates.values():
                    nn.init.zeros_(m.project.bn.weight)
    opt = make_optimizer(net, hp)
    n_train = x.shape[0] - x.shape[0] % 64
    perm = torch.randperm(x.shape[0])
    correct = seen = 0
    t0 = time.time()
    for i in range(steps):
        s = (i * 64) % n_train
        idx = perm[s:s + 64]
        xb, yb = x[idx], y[idx]
        if 'fixed' in opts:
            path = ARCHITECTURE
        else:
            path = {}
            for b in net.blocks:
                names = [c for c in b.names if not ('nozero' in opts and c == 'zero')]
                path[b.label] = names[rng.randrange(len(names))]
        for g in opt.param_groups:
            g['lr'] = cosine_lr(hp['lr'], i, TOTAL)
        opt.zero_grad(set_to_none=True)
        logits = net(xb, path)
        F.cross_entropy(logits, yb, label_smoothing=hp['label_smoothing']).backward()
        opt.step()
        if i >= steps - 50:
            correct += int((logits.argmax(1) == yb).sum())
            seen += yb.shape[0]
    fixed = evaluate(net, xv, yv, 128, ARCHITECTURE, hp['label_smoothing'], None)['accuracy']
    print(f'{variant:<18} seed {seed}: training accuracy, steps {steps - 50}-{steps}: {correct / seen * 100:5.1f}%   '
          f'validation, fixed architecture: {fixed * 100:5.1f}%   ({time.time() - t0:.0f} s, load {os.getloadavg()[0]:.1f})', flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('variants', nargs='+')
    ap.add_argument('--steps', type=int, default=200)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--dir', default='/usr/share/datasets/fashion-mnist')
    ap.add_argument('--threads', type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    x, y = load_train(args.dir, 20000)
    xv, yv, x, y = x[18000:], y[18000:], x[:18000], y[:18000]
    for v in args.variants:
        run(v, args.steps, args.seed, x, y, xv, yv)


if __name__ == '__main__':
    main()
