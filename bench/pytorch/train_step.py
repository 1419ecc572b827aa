#!/usr/bin/env python3
"""Training throughput of the two workloads of bench/throughput.mjs in PyTorch (eager, CPU).

 (a) supernet: the weight step of the search of examples/fashion-mnist/full.yaml: one candidate per
     searchable block drawn uniformly per step (python control flow; only that module runs and only
     the parameters it reached get gradients, momentum and weight decay), batch 64, 28x28x1;
 (b) compact: the training step of one derived network of that space, batch 128;
 (d) inference: batch-1 forward of that derived network in eval mode under torch.no_grad(), with the
     read-back of the predicted class (what our measured latency times).

Same layers as @proxyless/space-mbconv: first conv 3x3 s2 + BN + ReLU6, MBConv1 first block,
MBConv blocks (1x1 expand + BN + ReLU6 -> depthwise kxk + BN + ReLU6 -> 1x1 project + BN, identity
shortcut when stride 1 and same width, `zero` = the block is its shortcut), 1x1 feature mix + BN +
ReLU6, global average pool, dropout (rate 0 in this config, as ours: not applied), linear classifier.
Conv without bias, BN eps 1e-3 momentum 0.1. SGD + Nesterov momentum 0.9, cosine LR, L2 4e-5 on
conv/linear weights (as SGD weight_decay: the same gradient as ours' wd/2*sum(w^2) in the loss),
cross-entropy with label smoothing 0.1. A timed step: sample the path, zero grads, forward, loss,
backward, optimizer step, read back loss and accuracy (.item()).

Usage: python3 bench/pytorch/train_step.py --threads 1 [--threads 1,2] [--steps 20] [--warmup 3]
       [--workloads supernet,compact,inference] [--memory-format nchw,nhwc] [--gate-mul 1] [--inference-runs 300]
       [--paths-from runs/throughput.json] [--json out.json]
"""
import argparse
import json
import math
import platform
import random
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# --------------------------------------------------------------------------------------------------
# The space of examples/fashion-mnist/full.yaml, resolved as packages/space-mbconv/src/geometry.ts does
# (width multiplier 1, divisor 8: every width below is already a multiple of 8).
INPUT = (1, 28, 28)  # C, H, W
NUM_CLASSES = 10
FIRST_CONV = dict(width=16, stride=2, kernel=3)
FIRST_BLOCK = dict(width=8, kernel=3, expand=1)
STAGES = [dict(width=24, blocks=2, stride=2), dict(width=32, blocks=3, stride=2), dict(width=48, blocks=2, stride=1)]
FEATURE_MIX = 192
CANDIDATES = ['3x3_MBConv3', '3x3_MBConv6', '5x5_MBConv3', '5x5_MBConv6']  # + 'zero' on blocks with an identity shortcut
DROPOUT = 0.0  # the space's default; full.yaml sets none
BN_EPS, BN_MOMENTUM = 1e-3, 0.1
ARCHITECTURE = {
    's1_b0': '5x5_MBConv6', 's1_b1': '3x3_MBConv6',
    's2_b0': '5x5_MBConv3', 's2_b1': '3x3_MBConv3', 's2_b2': 'zero',
    's3_b0': '5x5_MBConv3', 's3_b1': '5x5_MBConv6',
}
SEARCH = dict(lr=0.05, momentum=0.9, weight_decay=4e-5, label_smoothing=0.1)   # full.yaml trainer
RETRAIN = dict(lr=0.1, momentum=0.9, weight_decay=4e-5, label_smoothing=0.1)  # `npm run example -- full` retraining

# Trainable parameter counts printed by `node bench/throughput.mjs` (PyTorch's way of counting: conv
# weights, BN gamma and beta, linear weight and bias; alpha not included).
OURS_COMPACT_PARAMS = 84_130
OURS_SUPERNET_PARAMS = 341_834
OURS_PATH_MIN, OURS_PATH_MAX = 27_210, 131_402


def parse_candidate(name):
    if name == 'zero':
        return None
    k, e = name.split('_MBConv')
    return int(k.split('x')[0]), int(e)


def conv_out(size, stride):
    return math.ceil(size / stride)  # TF `same`; k//2 padding gives the same sizes here


def blocks_geometry():
    """(label, in, out, stride, idskip, candidate names) for every searchable block."""
    out = []
    c = FIRST_BLOCK['width']
    for si, s in enumerate(STAGES):
        for i in range(s['blocks']):
            stride = s['stride'] if i == 0 else 1
            idskip = stride == 1 and c == s['width']
            out.append((f's{si + 1}_b{i}', c, s['width'], stride, idskip, CANDIDATES + (['zero'] if idskip else [])))
            c = s['width']
    return out


# --------------------------------------------------------------------------------------------------
# Modules (packages/space-mbconv/src/modules.ts)

def he_normal_(w, fan):
    with torch.no_grad():
        w.normal_(0.0, math.sqrt(2.0 / max(1, fan)))


class ConvBn(nn.Module):
    """k x k conv -> BN -> ReLU6 (or without the activation)."""

    def __init__(self, cin, cout, kernel, stride=1, groups=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False)
        # ours: He normal over k*k*out (conv), k*k (depthwise)
        he_normal_(self.conv.weight, kernel * kernel * cout if groups == 1 else kernel * kernel)
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.act = act

    def forward(self, x):
        y = self.bn(self.conv(x))
        return F.relu6(y) if self.act else y


class MBConv(nn.Module):
    """1x1 expand -> BN -> ReLU6 (absent when expand is 1) -> depthwise kxk -> BN -> ReLU6 -> 1x1 project -> BN."""

    def __init__(self, cin, cout, kernel, stride, expand):
        super().__init__()
        mid = cin if expand == 1 else round(cin * expand)
        self.expand = ConvBn(cin, mid, 1) if expand != 1 else None
        self.depthwise = ConvBn(mid, mid, kernel, stride, groups=mid)
        self.project = ConvBn(mid, cout, 1, act=False)

    def forward(self, x):
        if self.expand is not None:
            x = self.expand(x)
        return self.project(self.depthwise(x))


class Block(nn.Module):
    """A searchable block: its candidates (one in a compact network); `zero` has no module."""

    def __init__(self, label, cin, cout, stride, idskip, names):
        super().__init__()
        self.label, self.residual, self.names = label, idskip, list(names)
        mods = {}
        for n in names:
            p = parse_candidate(n)
            if p is not None:
                mods[n] = MBConv(cin, cout, p[0], stride, p[1])
        self.candidates = nn.ModuleDict(mods)

    def forward(self, x, name, gate=None):
        if name == 'zero':
            return x  # skipped: the block is its identity shortcut
        y = self.candidates[name](x)
        if gate is not None:
            y = y * gate  # ours' binarized mixed op outputs g_j * o_j(x) with a one-hot gate tensor
        return x + y if self.residual else y


class Net(nn.Module):
    """first conv -> first block -> blocks -> feature mix -> GAP -> dropout -> linear."""

    def __init__(self, architecture=None):
        super().__init__()
        c, h, w = INPUT
        self.first_conv = ConvBn(c, FIRST_CONV['width'], FIRST_CONV['kernel'], FIRST_CONV['stride'])
        self.first_block = MBConv(FIRST_CONV['width'], FIRST_BLOCK['width'], FIRST_BLOCK['kernel'], 1, FIRST_BLOCK['expand'])
        blocks = []
        for label, cin, cout, stride, idskip, names in blocks_geometry():
            if architecture is not None:
                assert architecture[label] in names, f'{label}: {architecture[label]} not offered ({names})'
                names = [architecture[label]]
            blocks.append(Block(label, cin, cout, stride, idskip, names))
        self.blocks = nn.ModuleList(blocks)
        self.feature_mix = ConvBn(STAGES[-1]['width'], FEATURE_MIX, 1)
        self.dropout = DROPOUT
        self.classifier = nn.Linear(FEATURE_MIX, NUM_CLASSES)
        bound = 1 / math.sqrt(FEATURE_MIX)
        with torch.no_grad():
            self.classifier.weight.uniform_(-bound, bound)
            self.classifier.bias.zero_()

    def forward(self, x, path, gate=None):
        x = self.first_block(self.first_conv(x))
        for b in self.blocks:
            x = b(x, path[b.label], gate)
        x = self.feature_mix(x)
        x = x.mean((2, 3))
        if self.training and self.dropout > 0:
            x = F.dropout(x, self.dropout, True)
        return self.classifier(x)


def count(params):
    return sum(p.numel() for p in params if p.requires_grad)


def fixed_params(net):
    return count(p for n, p in net.named_parameters() if not n.startswith('blocks.'))


def candidate_params(block):
    return {n: (count(block.candidates[n].parameters()) if n in block.candidates else 0) for n in block.names}


# --------------------------------------------------------------------------------------------------

def cosine_lr(base, step, total):
    return 0.5 * base * (1 + math.cos(math.pi * min(step, total) / total)) if total > 0 else base


def make_optimizer(net, hp):
    # L2 on conv and linear weights only (ours: variables named .../kernel, .../depthwise_kernel), not on BN or biases
    decayed = [p for n, p in net.named_parameters() if n.endswith('conv.weight') or n == 'classifier.weight']
    other = [p for n, p in net.named_parameters() if not (n.endswith('conv.weight') or n == 'classifier.weight')]
    return torch.optim.SGD(
        [dict(params=decayed, weight_decay=hp['weight_decay']), dict(params=other, weight_decay=0.0)],
        lr=hp['lr'], momentum=hp['momentum'], nesterov=True,
    )


def run_inference(threads, memory_format, args):
    torch.set_num_threads(threads)
    torch.manual_seed(args.seed)
    net = Net(ARCHITECTURE)
    net.eval()
    cl = memory_format == 'nhwc'
    if cl:
        net = net.to(memory_format=torch.channels_last)
    x = torch.randn(1, *INPUT)
    if cl:
        x = x.contiguous(memory_format=torch.channels_last)
    times = []
    with torch.no_grad():
        for i in range(args.inference_runs + 20):
            t0 = time.perf_counter()
            int(net(x, ARCHITECTURE).argmax(1).item())
            if i >= 20:
                times.append((time.perf_counter() - t0) * 1000)
    med = statistics.median(times)
    return dict(workload='inference', threads=threads, memory_format=memory_format, batch=1, warmup=20, steps=len(times),
                ms=times, median_ms=med, mean_ms=statistics.fmean(times), samples_per_second=1000 / med,
                params=dict(total=count(net.parameters())))


def run(workload, threads, memory_format, args, paths_from):
    if workload == 'inference':
        return run_inference(threads, memory_format, args)
    torch.set_num_threads(threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    supernet = workload == 'supernet'
    batch = args.supernet_batch if supernet else args.compact_batch
    hp = SEARCH if supernet else RETRAIN
    net = Net(None if supernet else ARCHITECTURE)
    net.train()
    cl = memory_format == 'nhwc'
    if cl:
        net = net.to(memory_format=torch.channels_last)
    opt = make_optimizer(net, hp)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=hp['label_smoothing'])
    pool = []
    for _ in range(4):
        x = torch.randn(batch, *INPUT)
        pool.append((x.contiguous(memory_format=torch.channels_last) if cl else x, torch.randint(0, NUM_CLASSES, (batch,))))
    gate = torch.ones(()) if (supernet and args.gate_mul) else None
    total = args.warmup + args.steps
    fixed = fixed_params(net)
    per_block = {b.label: candidate_params(b) for b in net.blocks}

    def sample(i):
        if not supernet:
            return dict(ARCHITECTURE)
        if paths_from:
            return paths_from[i % len(paths_from)]
        return {b.label: b.names[rng.randrange(len(b.names))] for b in net.blocks}

    times, trained = [], []
    for i in range(total):
        x, y = pool[i % len(pool)]
        t0 = time.perf_counter()
        path = sample(i)
        for g in opt.param_groups:
            g['lr'] = cosine_lr(hp['lr'], i, total)
        opt.zero_grad(set_to_none=True)  # unsampled paths keep grad None: SGD skips them (no momentum, no decay)
        logits = net(x, path, gate)
        loss = loss_fn(logits, y)
        loss.backward()
        opt.step()
        loss_value = loss.item()
        acc = (logits.argmax(1) == y).float().mean().item()
        dt = (time.perf_counter() - t0) * 1000
        if not math.isfinite(loss_value):
            raise RuntimeError(f'loss became {loss_value} at step {i}')
        if i >= args.warmup:
            times.append(dt)
            trained.append(fixed + sum(per_block[l][path[l]] for l in per_block))
        del acc
    params_total = count(net.parameters())
    row = dict(
        workload=workload, threads=threads, memory_format=memory_format, batch=batch, warmup=args.warmup, steps=args.steps,
        ms=times, median_ms=statistics.median(times), mean_ms=statistics.fmean(times),
        samples_per_second=batch * 1000 / statistics.median(times), params=dict(total=params_total),
        paths_from_ours=bool(paths_from) if supernet else None, gate_mul=bool(gate is not None),
    )
    if supernet:
        row['params'].update(
            fixed=fixed,
            path_min=fixed + sum(min(v.values()) for v in per_block.values()),
            path_max=fixed + sum(max(v.values()) for v in per_block.values()),
            sampled_path_mean=statistics.fmean(trained),
            per_op=per_block,
        )
    return row


def parse_list(s, conv=str):
    return [conv(v) for v in str(s).split(',') if v]


def load_paths(file):
    """The sequence of paths that bench/throughput.mjs's wasm supernet run trained (warm-up steps first)."""
    with open(file) as f:
        data = json.load(f)
    rows = [r for r in data['results'] if r['workload'] == 'supernet']
    rows.sort(key=lambda r: r['backend'] != 'wasm')
    if not rows:
        raise SystemExit(f'{file}: no supernet result (run bench/throughput.mjs with --workloads including supernet and --json)')
    return [p['path'] for p in rows[0]['paths']], rows[0]


def check_params(results, ours_row):
    problems = []
    for r in results:
        p = r['params']
        if r['workload'] in ('compact', 'inference') and p['total'] != OURS_COMPACT_PARAMS:
            problems.append(f"compact: {p['total']} trainable parameters, ours {OURS_COMPACT_PARAMS}")
        if r['workload'] == 'supernet':
            for k, v in (('total', OURS_SUPERNET_PARAMS), ('path_min', OURS_PATH_MIN), ('path_max', OURS_PATH_MAX)):
                if p[k] != v:
                    problems.append(f'supernet {k}: {p[k]}, ours {v}')
            if ours_row is not None:
                op = ours_row['params']['perOp']
                for label, cands in p['per_op'].items():
                    if cands != op[label]:
                        problems.append(f'supernet {label}: per-candidate parameters {cands}, ours {op[label]}')
    assert not problems, 'parameter counts differ from ours:\n  ' + '\n  '.join(problems)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--threads', default='1', help='torch.set_num_threads; a comma list runs each (e.g. 1,2)')
    ap.add_argument('--steps', type=int, default=20, help='timed steps')
    ap.add_argument('--warmup', type=int, default=3, help='untimed steps first')
    ap.add_argument('--workloads', default='supernet,compact')
    ap.add_argument('--memory-format', default='nchw', help='nchw (contiguous), nhwc (channels_last), or both: nchw,nhwc')
    ap.add_argument('--gate-mul', type=int, default=1, help='1: multiply the sampled path output by a gate tensor (1.0) as ours does; 0: plain active op (official ProxylessNAS weight step)')
    ap.add_argument('--paths-from', default='', help="bench/throughput.mjs --json output: train the supernet on the same sequence of paths as ours' wasm run")
    ap.add_argument('--supernet-batch', type=int, default=64)
    ap.add_argument('--compact-batch', type=int, default=128)
    ap.add_argument('--inference-runs', type=int, default=300, help='timed batch-1 forwards of the inference workload')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--json', default='', help='write the results here')
    args = ap.parse_args()

    paths_from, ours_row = (load_paths(args.paths_from) if args.paths_from else (None, None))
    workloads = parse_list(args.workloads)
    for w in workloads:
        if w not in ('supernet', 'compact', 'inference'):
            raise SystemExit(f'unknown workload {w} (expected supernet, compact, inference)')
    formats = parse_list(args.memory_format)
    for m in formats:
        if m not in ('nchw', 'nhwc'):
            raise SystemExit(f'unknown memory format {m} (expected nchw, nhwc)')

    capability = getattr(getattr(torch.backends, 'cpu', None), 'get_cpu_capability', lambda: 'unknown')()  # torch >= 2.0
    print(f'torch {torch.__version__}; python {platform.python_version()}; {platform.processor() or platform.machine()}; '
          f'cpu capability {capability}; mkldnn {torch.backends.mkldnn.is_available()}', file=sys.stderr)
    results = []
    for threads in parse_list(args.threads, int):
        for mf in formats:
            for w in workloads:
                r = run(w, threads, mf, args, paths_from)
                results.append(r)
                print(f"{w} threads={threads} {mf}: median {r['median_ms']:.1f} ms/step", file=sys.stderr)
    check_params(results, ours_row)

    print(f"\ntorch {torch.__version__} (eager, CPU), threads {args.threads}, warm-up {args.warmup}")
    print('workload  threads  format  batch  steps  median ms/step  mean ms/step  samples/s  trainable params')
    for r in results:
        p = r['params']
        ptxt = (f"supernet {p['total']:,}; one path {p['path_min']:,}-{p['path_max']:,}, sampled mean {p['sampled_path_mean']:,.0f}"
                if r['workload'] == 'supernet' else f"{p['total']:,}")
        print(f"{r['workload']:<10}{r['threads']:>7}  {r['memory_format']:<6}{r['batch']:>7}{r['steps']:>7}"
              f"{r['median_ms']:>16.1f}{r['mean_ms']:>14.1f}{r['samples_per_second']:>11.1f}  {ptxt}")
    print('parameter counts equal ours (bench/throughput.mjs): yes')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(torch=torch.__version__, python=platform.python_version(), args=vars(args),
                           architecture=ARCHITECTURE, search=SEARCH, retrain=RETRAIN, results=results), f, indent=2)
        print(f'wrote {args.json}')


if __name__ == '__main__':
    main()
