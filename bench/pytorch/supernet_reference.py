#!/usr/bin/env python3
"""PyTorch reference of the search's warm-up phase: replays a plan written by bench/supernet-curve.mjs.

The plan (ours-seed<S>.json) holds what ours trained on: the source indices (into the Fashion-MNIST
training file) of every batch in the order our trainer's split handed them out, the path sampled for
every step (one candidate per mixed op, uniform, `zero` where the block has an identity shortcut),
the validation indices, and the paths of our sampled-path validation. This script reads the IDX
files itself, normalizes as ours' default (`zero-one`: pixel / 255), builds the same supernet as
train_step.py (same layers, He-normal fan-out init, BN eps 1e-3 momentum 0.1, classifier U(+-1/sqrt(in)),
bias 0) with torch's own random draws (torch.manual_seed(seed)), and trains it step by step on the
same batches and paths: SGD + Nesterov 0.9, cosine LR per step over the plan's total steps, L2 4e-5
on conv/linear weights (unsampled paths get no gradient, no momentum step, no decay), cross-entropy
with label smoothing 0.1. At every step where the plan has a validation point it logs the training
loss/accuracy over the steps since the last point, and the validation loss/accuracy of (a) the plan's
sampled paths (one per validation batch of 128) and (b) the fixed architecture, through the supernet
with BN batch statistics (no running-average update), as ours' evaluateArchitecture.

Usage: python3 bench/pytorch/supernet_reference.py --plan runs/supernet-curve/ours-seed1.json --json runs/supernet-curve/ref-seed1.json
       [--dir /usr/share/datasets/fashion-mnist] [--seed 1] [--threads 1] [--gate-mul 0]
"""
import argparse
import gzip
import json
import math
import os
import platform
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_step import BN_MOMENTUM, Net, SEARCH, cosine_lr, make_optimizer  # noqa: E402


def read_idx(path):
    """An IDX file (gzip or raw) as (shape, bytes)."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    zero, dtype, ndim = data[0] * 256 + data[1], data[2], data[3]
    if zero != 0 or dtype != 0x08:
        raise SystemExit(f'{path}: not an unsigned-byte IDX file (magic {data[:4].hex()})')
    shape = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    return shape, data[4 + 4 * ndim:]


def find(dirname, name):
    for n in (name, name[:-3]):
        p = os.path.join(dirname, n)
        if os.path.exists(p):
            return p
    raise SystemExit(f'{dirname}: no {name} (or {name[:-3]})')


def load_train(dirname, limit):
    (n, h, w), pixels = read_idx(find(dirname, 'train-images-idx3-ubyte.gz'))
    (m,), labels = read_idx(find(dirname, 'train-labels-idx1-ubyte.gz'))
    assert n == m, f'{n} images but {m} labels'
    n = min(n, limit)
    x = torch.frombuffer(bytearray(pixels[:n * h * w]), dtype=torch.uint8).reshape(n, 1, h, w).float() / 255.0
    y = torch.frombuffer(bytearray(labels[:n]), dtype=torch.uint8).long()
    return x, y


def smoothed_ce(logits, y, eps):
    # ours' softmaxCrossEntropy: targets (1 - eps)·onehot + eps/K
    return F.cross_entropy(logits, y, label_smoothing=eps)


class BatchStats:
    """BN in training mode (batch statistics) without touching the running averages."""

    def __init__(self, net):
        self.net = net

    def __enter__(self):
        self.was = self.net.training
        self.bns = [m for m in self.net.modules() if isinstance(m, nn.BatchNorm2d)]
        for m in self.bns:
            m.momentum = 0.0
        self.net.train()
        return self

    def __exit__(self, *exc):
        for m in self.bns:
            m.momentum = BN_MOMENTUM
        self.net.train(self.was)


def evaluate(net, x, y, batch, paths, eps, gate):
    """Mean loss and accuracy over x in order, batch i through paths[i] (or one path for all)."""
    loss_sum, correct, count = 0.0, 0, 0
    with torch.no_grad(), BatchStats(net):
        for i, s in enumerate(range(0, x.shape[0], batch)):
            xb, yb = x[s:s + batch], y[s:s + batch]
            logits = net(xb, paths[i] if isinstance(paths, list) else paths, gate)
            loss_sum += smoothed_ce(logits, yb, eps).item() * yb.shape[0]
            correct += int((logits.argmax(1) == yb).sum())
            count += yb.shape[0]
    return dict(loss=loss_sum / count, accuracy=correct / count)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--plan', required=True, help='ours-seed<S>.json written by bench/supernet-curve.mjs')
    ap.add_argument('--dir', default='/usr/share/datasets/fashion-mnist')
    ap.add_argument('--seed', type=int, default=None, help="torch.manual_seed (default: the plan's seed)")
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--gate-mul', type=int, default=0, help="1: multiply the path output by a gate tensor 1.0 as ours does (same gradients)")
    ap.add_argument('--json', required=True)
    args = ap.parse_args()
    t0 = time.time()
    torch.set_num_threads(args.threads)
    with open(args.plan) as f:
        plan = json.load(f)
    seed = plan['seed'] if args.seed is None else args.seed
    torch.manual_seed(seed)
    opts = plan['config']['trainer']['options']
    hp = dict(SEARCH)
    for k, ours in (('lr', 'lr'), ('momentum', 'momentum'), ('weight_decay', 'weightDecay'), ('label_smoothing', 'labelSmoothing')):
        hp[k] = opts[ours]
    assert opts['nesterov'] and opts.get('lrSchedule', 'cosine') == 'cosine', 'the reference implements Nesterov + cosine only'
    limit = plan['config']['data']['options']['limit']['train']
    x_all, y_all = load_train(args.dir, limit)
    val_idx = torch.tensor(plan['validationIdx'], dtype=torch.long)
    xv, yv = x_all[val_idx], y_all[val_idx]
    eval_at = {e['step']: e for e in plan['evals']}
    fixed_arch = plan['fixedArchitecture']
    total = plan['totalSteps']
    eps = hp['label_smoothing']

    net = Net(None)
    net.train()
    if plan.get('zeroGamma'):  # the plan's experiment: γ = 0 in the project BN of the residual blocks' candidates
        for b in net.blocks:
            if b.residual:
                for m in b.candidates.values():
                    nn.init.zeros_(m.project.bn.weight)
    opt = make_optimizer(net, hp)
    decayed = [p for n, p in net.named_parameters() if n.endswith('conv.weight') or n == 'classifier.weight']
    gate = torch.ones(()) if args.gate_mul else None
    evals = []
    window = dict(loss=0.0, correct=0, seen=0, steps=0)

    def point(step):
        e0 = time.time()
        sampled = evaluate(net, xv, yv, plan['evalBatch'], eval_at[step]['sampled']['paths'], eps, gate)
        fixed = evaluate(net, xv, yv, plan['evalBatch'], fixed_arch, eps, gate)
        train = dict(loss=window['loss'] / window['seen'], accuracy=window['correct'] / window['seen'], steps=window['steps']) if window['seen'] else None
        window.update(loss=0.0, correct=0, seen=0, steps=0)
        evals.append(dict(step=step, train=train, sampled=sampled, fixed=fixed, seconds=time.time() - t0, evalSeconds=time.time() - e0,
                          load=dict(loadavg1=os.getloadavg()[0], cores=os.cpu_count())))
        tr = f"{train['accuracy'] * 100:.1f}%" if train else '  - '
        print(f"ref  seed {seed} step {step}: train {tr}  val sampled {sampled['accuracy'] * 100:.1f}%  val fixed {fixed['accuracy'] * 100:.1f}%"
              f"  ({time.time() - t0:.0f} s, load {os.getloadavg()[0]:.1f})", file=sys.stderr)

    if 0 in eval_at:
        point(0)
    for i, s in enumerate(plan['steps']):
        assert s['step'] == i, f"plan step {s['step']} at position {i}"
        idx = torch.tensor(s['idx'], dtype=torch.long)
        xb, yb = x_all[idx], y_all[idx]
        lr = cosine_lr(hp['lr'], i, total)
        for g in opt.param_groups:
            g['lr'] = lr
        opt.zero_grad(set_to_none=True)  # unsampled paths keep grad None: SGD skips them (no momentum, no decay)
        logits = net(xb, s['path'], gate)
        ce = smoothed_ce(logits, yb, eps)
        ce.backward()
        with torch.no_grad():  # the loss as ours reports it: CE + wd/2 · Σ‖w‖² over the trained decayed weights
            l2 = sum(float((p * p).sum()) for p in decayed if p.grad is not None)
        opt.step()
        loss = ce.item() + hp['weight_decay'] / 2 * l2
        if not math.isfinite(loss):
            raise SystemExit(f'loss became {loss} at step {i}')
        n = yb.shape[0]
        window['loss'] += loss * n
        window['correct'] += int((logits.argmax(1) == yb).sum())
        window['seen'] += n
        window['steps'] += 1
        if i + 1 in eval_at:
            point(i + 1)
    out = dict(side='reference', seed=seed, plan=os.path.abspath(args.plan), torch=torch.__version__, python=platform.python_version(),
               threads=args.threads, gate_mul=bool(args.gate_mul), hp=hp, zeroGamma=bool(plan.get('zeroGamma')), totalSteps=total, seconds=time.time() - t0,
               load=dict(loadavg1=os.getloadavg()[0], cores=os.cpu_count()), evals=evals)
    tmp = f'{args.json}.{os.getpid()}.tmp'
    with open(tmp, 'w') as f:
        json.dump(out, f, indent=1)
    os.replace(tmp, args.json)
    print(f'wrote {args.json} ({total} steps in {time.time() - t0:.0f} s)', file=sys.stderr)


if __name__ == '__main__':
    main()
