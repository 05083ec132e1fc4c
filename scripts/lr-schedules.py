"""TensorFlow's own learning rates for the schedules of `train --lr-schedule`.

Writes test/fixtures/lr-schedules.json, which test/optim/schedule.test.ts
compares `learningRateAt` (and, through the contract suite, every engine)
against. Each case is written in mnist-deep's terms (src/optim/schedule.ts:
kind, steps, finalFraction, warmupSteps, stepEvery) and mapped here, once and
independently of the TypeScript, to TF's schedule class and arguments:

- cosine: CosineDecay(lr, decay_steps=steps, alpha=f); with W warmup steps,
  CosineDecay(0.0, decay_steps=steps - W, alpha=f, warmup_target=lr, warmup_steps=W)
- step: PiecewiseConstantDecay(boundaries=[E, 2E, ... below steps], values=[lr * f**(i/k), i = 0..k])
- exponential: ExponentialDecay(lr, decay_steps=steps, decay_rate=f)

Each rate is the schedule called on the step as an int64 tensor, as an
optimizer's `iterations` is. Run with TensorFlow (tensorflow-cpu 2.21.0):
    python scripts/lr-schedules.py > test/fixtures/lr-schedules.json
    npx prettier --write test/fixtures/lr-schedules.json
"""

import json
import math

import keras
import tensorflow as tf

S = keras.optimizers.schedules


def tf_schedule(lr, s):
    f = s["finalFraction"]
    if s["kind"] == "cosine":
        w = s.get("warmupSteps", 0)
        if w == 0:
            return S.CosineDecay(lr, decay_steps=s["steps"], alpha=f), f"CosineDecay({lr}, decay_steps={s['steps']}, alpha={f})"
        return (
            S.CosineDecay(0.0, decay_steps=s["steps"] - w, alpha=f, warmup_target=lr, warmup_steps=w),
            f"CosineDecay(0.0, decay_steps={s['steps'] - w}, alpha={f}, warmup_target={lr}, warmup_steps={w})",
        )
    if s["kind"] == "step":
        every = s["stepEvery"]
        boundaries = list(range(every, s["steps"], every))
        k = len(boundaries)
        values = [lr if i == 0 else lr * f ** (i / k) for i in range(k + 1)]
        return S.PiecewiseConstantDecay(boundaries, values), f"PiecewiseConstantDecay({boundaries}, {values})"
    return (
        S.ExponentialDecay(lr, decay_steps=s["steps"], decay_rate=f),
        f"ExponentialDecay({lr}, decay_steps={s['steps']}, decay_rate={f})",
    )


def every_step(n):
    return list(range(0, n + 5))


def sampled(n, stride):
    return sorted(set(list(range(0, n + 10, stride)) + [1, 2, n - 1, n, n + 1]))


CASES = [
    # The fast recipe's schedule: Adam 1e-3 cosine-decayed to 2% over 3,000 steps.
    ("cosine, the fast recipe", 1e-3, {"kind": "cosine", "steps": 3000, "finalFraction": 0.02}, sampled(3000, 37)),
    ("cosine to 0", 0.5, {"kind": "cosine", "steps": 40, "finalFraction": 0.0}, every_step(40)),
    (
        "cosine with warmup",
        1e-3,
        {"kind": "cosine", "steps": 60, "finalFraction": 0.1, "warmupSteps": 15},
        every_step(60),
    ),
    ("step, even pieces", 0.1, {"kind": "step", "steps": 50, "finalFraction": 0.01, "stepEvery": 10}, every_step(50)),
    ("step, a short last piece", 1e-3, {"kind": "step", "steps": 45, "finalFraction": 0.05, "stepEvery": 20}, every_step(45)),
    ("exponential", 1e-3, {"kind": "exponential", "steps": 100, "finalFraction": 0.01}, every_step(100)),
    ("exponential, long", 0.5, {"kind": "exponential", "steps": 1000, "finalFraction": 0.2}, sampled(1000, 13)),
]


def main():
    cases = []
    for name, lr, s, steps in CASES:
        schedule, call = tf_schedule(lr, s)
        rates = [float(schedule(tf.constant(step, tf.int64)).numpy()) for step in steps]
        assert all(math.isfinite(r) for r in rates)
        cases.append({"name": name, "learningRate": lr, "schedule": s, "tf": call, "steps": steps, "rates": rates})
    doc = {
        "madeBy": "scripts/lr-schedules.py",
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "cases": cases,
    }
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
