"""The PyTorch side of the benchmarks' `peers` case (Benchmarks/PeerCases.fs).

Run as `/usr/bin/python3 peers.py DIR` by the case, never by hand: DIR holds the inputs that
the .NET side generated (DIR/inputs.json names each array's shape, DIR/NAME.bin its float64
values, little-endian, row-major). Each line on stdin, "WORKLOAD REPETITIONS", is answered by
one JSON line on stdout, {"workload": ..., "ms": [...]}: the wall times of that many runs. The
first request for a workload also writes its result (flattened, float64) to
DIR/WORKLOAD.torch.bin for the agreement check, then warms up as the .NET harness does (runs
until a second has passed, at least once, at most 50 times), so that both sides are timed warm.
Run as `peers.py DIR --first WORKLOAD` (the `cold start against PyTorch` case), it times the
first run of that workload in this fresh interpreter, answers with one such line and ends.
"""

import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(2)
torch.set_default_dtype(torch.float64)

FOLDER = sys.argv[1]
with open(os.path.join(FOLDER, "inputs.json")) as manifest:
    SHAPES = json.load(manifest)


def load(name):
    values = np.fromfile(os.path.join(FOLDER, name + ".bin"), dtype="<f8")
    return torch.from_numpy(values.reshape(SHAPES[name]))


def flat(*tensors):
    return torch.cat([t.detach().reshape(-1) for t in tensors])


def forward():
    w, x = load("tanh.W"), load("tanh.x")
    return lambda: torch.tanh(w @ x)


def logistic_loss(x, y):
    return lambda w: F.softplus(-(y * (x @ w))).mean()


def logistic():
    loss = logistic_loss(load("logistic.X"), load("logistic.y"))
    w = load("logistic.w")

    def run():
        wr = w.detach().requires_grad_()
        value = loss(wr)
        (gradient,) = torch.autograd.grad(value, wr)
        return flat(value, gradient)

    return run


def hvp():
    loss = logistic_loss(load("logistic.X"), load("logistic.y"))
    w, v = load("logistic.w"), load("logistic.v")

    # Double backward (reverse over reverse) with the Hessian's symmetry: the cheapest HVP that
    # PyTorch 1.13 offers (torch.autograd.functional.hvp does more work).
    def run():
        wr = w.detach().requires_grad_()
        (gradient,) = torch.autograd.grad(loss(wr), wr, create_graph=True)
        (product,) = torch.autograd.grad(gradient, wr, v)
        return product

    return run


def mlp_parameters():
    return [load("mlp.p%d" % i) for i in range(6)]


def mlp_loss(x, labels, parameters):
    h = x
    layers = len(parameters) // 2
    for layer in range(layers):
        z = h @ parameters[2 * layer] + parameters[2 * layer + 1]
        h = torch.relu(z) if layer < layers - 1 else z
    return -(labels * torch.log_softmax(h, 1)).sum() / x.shape[0]


def mlp():
    x, labels = load("mlp.x"), load("mlp.labels")
    parameters = mlp_parameters()

    def run():
        p = [t.detach().requires_grad_() for t in parameters]
        value = mlp_loss(x, labels, p)
        return flat(value, *torch.autograd.grad(value, p))

    return run


def sgd():
    x, labels = load("mlp.x"), load("mlp.labels")
    parameters = [t.clone().requires_grad_() for t in mlp_parameters()]

    # What a PyTorch user writes for p ← p − η∇L(p): the update in place, as the donating
    # FunctionalAD step writes into the old buffers.
    def run():
        value = mlp_loss(x, labels, parameters)
        gradients = torch.autograd.grad(value, parameters)
        with torch.no_grad():
            for p, g in zip(parameters, gradients):
                p.sub_(0.1 * g)
        return flat(value, *parameters)

    return run


def jacobian():
    w, x = load("tanh.W"), load("tanh.x")
    return lambda: torch.autograd.functional.jacobian(lambda x: torch.tanh(w @ x), x, vectorize=True)


def coupled(x):
    return torch.exp(x[:-1] * x[1:]).sum()


def hessian(name):
    x = load(name + ".x")
    return lambda: torch.autograd.functional.hessian(coupled, x, vectorize=True)


def digits():
    train_x, test_x = load("digits.trainX"), load("digits.testX")
    train_y, test_y = load("digits.trainY").long(), load("digits.testY").long()
    orders = load("digits.orders").long()
    initial = [load("digits.p%d" % i) for i in range(6)]
    batch = 32

    def logits(p, x):
        h = x
        for layer in range(3):
            h = (torch.tanh(h) if layer > 0 else h) @ p[2 * layer] + p[2 * layer + 1]
        return h

    def evaluate(p, x, y):
        with torch.no_grad():
            out = logits(p, x)
            return F.cross_entropy(out, y).item(), (out.argmax(1) == y).double().mean().item()

    # The loop of Training.fit: per epoch, shuffled batches, one gradient and one Adam step
    # each, then the loss and accuracy on the training and the test set.
    def run():
        p = [t.clone().requires_grad_() for t in initial]
        optimiser = torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8)
        for order in orders:
            for start in range(0, len(order), batch):
                rows = order[start:start + batch]
                optimiser.zero_grad()
                F.cross_entropy(logits(p, train_x[rows]), train_y[rows]).backward()
                optimiser.step()
            evaluate(p, train_x, train_y)
            evaluate(p, test_x, test_y)
        return flat(*p)

    return run


WORKLOADS = {
    "forward": forward,
    "logistic": logistic,
    "mlp": mlp,
    "sgd": sgd,
    "hvp": hvp,
    "jacobian": jacobian,
    "hessian100": lambda: hessian("hessian100"),
    "hessian300": lambda: hessian("hessian300"),
    "digits": digits,
}


def elapsed_ms(run):
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1000.0


def prepare(name):
    run = WORKLOADS[name]()
    run().detach().reshape(-1).numpy().astype("<f8").tofile(os.path.join(FOLDER, name + ".torch.bin"))
    start, runs = time.perf_counter(), 0
    while runs < 50 and time.perf_counter() - start < 1.0:
        run()
        runs += 1
    return run


def main():
    prepared = {}
    for line in sys.stdin:
        name, repetitions = line.split()
        if name not in prepared:
            prepared[name] = prepare(name)
        times = [elapsed_ms(prepared[name]) for _ in range(int(repetitions))]
        print(json.dumps({"workload": name, "ms": times}), flush=True)


if sys.argv[2:3] == ["--first"]:
    # The first run of one workload in this fresh interpreter (the cold-start comparison).
    print(json.dumps({"workload": sys.argv[3], "ms": [elapsed_ms(WORKLOADS[sys.argv[3]]())]}), flush=True)
else:
    main()
