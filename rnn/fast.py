"""The fast path: rnn/model.py's forward and loss_and_grads, and rnn/sample.py's one-stream loop, with speed tricks.

The maths is exactly the plain code's (tests/unit/test_fast.py: agreement to 1e-12 in float64); only how
NumPy is driven differs. model.forward, model.loss_and_grads and sample.sample call the functions here
while ENABLED is true (the default), so the Trainer, evaluate and sample use them without asking. Set
`rnn.fast.ENABLED = False` (or use `with rnn.fast.disabled():`) to run the plain code everywhere: slower,
the same numbers to round-off.

At one stream a training step is ~180 small NumPy calls, so the cost is per-call overhead, not arithmetic;
at 32 streams it is memory traffic and tanh/exp. Each trick below answers one of those:

* Direct C calls of np.dot (c_dot). np.dot runs a small Python function per call to look for
  __array_function__ overrides; the loops here pass plain ndarrays only, so they skip it.
* Preallocated out= loops. The two time loops (recurrence, BPTT) are three NumPy calls per step, each
  writing into an existing array (positional out=, local names): no allocation per step.
* Scratch buffers reused between calls (Workspace). Fresh memory for each of a step's arrays is cold in
  the CPU caches, and arrays of more than glibc's mmap threshold come as new zero-filled pages each
  time (a page fault per 4 KiB). The Trainer keeps one Workspace for its steps and evaluate_loss one for
  its chunks, so each reuses the same arrays.
* Time-major layout (T, B, H) with h_prev stored as states[0]: each step reads a contiguous (B, H) block,
  and the backward pass finds every h_{t-1} as states[:-1] without a copy.
* Gradients written in place into grads_out. The Trainer passes named views of one flat buffer, so
  clipping and the optimizer are a few whole-array operations instead of five each.
* Row sums as matrix products against a ones vector, the dWxh scatter-add as one product with the
  one-hot inputs, and flat-index take/put for p_t[target_t]: one BLAS call or one C loop each. (A real
  scatter-add skips the one-hot's zeros, but np.add.at, bincount and sort+reduceat all measured 1.7-8x
  slower than this product at V = 65.)
* Whh^T as a contiguous copy for the forward loop when B > 1: the (B, H) x (H, H) product with the
  transposed view measured up to 3x slower (H = 100, B = 32), ~50% at H = 256-512, B = 32, and a whole
  step 5-17% faster with the copy (one H x H pass per call); a single row's product gains nothing.
* BLAS threads per kind of product (Workspace.threads, chosen by rnn/threads.py): the per-step loops and
  the whole-sequence products may get different thread counts; OpenBLAS gives the same numbers either way.
* Exp-based tanh for big float64 batches: NumPy's float64 tanh is not vectorized on AVX2 CPUs and costs
  about twice an exp, so for B*H >= TANH_BY_EXP_MIN_SIZE 1 - 2 / (exp(2x) + 1) is about 1.5x faster
  (within 4e-16 of np.tanh).
* A float32 logit floor: max-shifted logits below LOGIT_FLOOR are raised to it before exp. Their
  probabilities would be float32 denormals, which slow every later operation on them many times over;
  exp(-80) ~ 1e-35 is invisible next to the other probabilities. (The one visible difference: where a
  target's probability underflows to 0, the plain float32 loss is inf and this one huge but finite.)
* Sampling with 1-D vectors, contiguous transposed weights, the bias folded into the input rows and an
  unshifted exp (the max shift only when exp over- or underflows): half the NumPy calls per character.
"""

from __future__ import annotations

import contextlib

import numpy as np

from .runtime import blas_thread_setter

ENABLED = True  # False: model.py and sample.py run their plain code instead of this module

# np.dot's C function, under the Python wrapper that checks for __array_function__ overrides.
c_dot = getattr(np.dot, "__wrapped__", np.dot)

LOGIT_FLOOR = -80.0
TANH_BY_EXP_MIN_SIZE = 1024


@contextlib.contextmanager
def disabled():
    """Run the plain code inside the block (the bench's "plain" reference, tests). Process-wide: not
    for use while another thread computes."""
    global ENABLED
    before, ENABLED = ENABLED, False
    try:
        yield
    finally:
        ENABLED = before


class Scratch:
    """The arrays one forward/backward pass works in, for one (B, T, H, V, dtype)."""

    def __init__(self, B: int, T: int, H: int, V: int, dtype):
        n = T * B
        self.key = (B, T, H, V, np.dtype(dtype))
        self.states = np.empty((T + 1, B, H), dtype)  # h_prev, then h_t for every step
        self.WxhT = np.empty((V, H), dtype)  # Wxh transposed: the inputs pick contiguous rows
        self.WhhT = np.empty((H, H), dtype)  # Whh transposed, contiguous: the forward loop's operand
        self.tmp = np.empty((B, H), dtype)  # one step's matrix product
        self.probs = np.empty((n, V), dtype)  # logits, then probabilities, then dL/dy
        self.row = np.empty((n, 1), dtype)  # each row's max, then its sum, in the softmax
        self.dh = np.empty((T, B, H), dtype)  # dL/dh_t, then dL/d(pre-activation)
        self.dtanh = np.empty((T, B, H), dtype)  # 1 - h_t^2
        self.onehot = np.empty((n, V), dtype)  # the one-hot inputs x_t
        self.ones = np.ones(n, dtype)  # for row sums as matrix products
        self.row_starts = np.arange(0, n * V, V)  # where each row of an (n, V) array starts in its buffer


class Workspace:
    """Hands out the same Scratch again while the shapes stay the same (a Trainer keeps one), and carries
    the BLAS thread plan of the next loss_and_grads: (threads in the per-step loops, threads in the
    whole-sequence products). Not for sharing between threads."""

    def __init__(self):
        self._scratch: Scratch | None = None
        self.threads = (1, 1)

    def scratch(self, B: int, T: int, H: int, V: int, dtype) -> Scratch:
        s = self._scratch
        if s is None or s.key != (B, T, H, V, dtype):
            s = self._scratch = Scratch(B, T, H, V, dtype)
        return s


def tanh_by_exp(x, out):
    """out = tanh(x) as 1 - 2 / (exp(2x) + 1). Where exp(2x) overflows (x > 354) the result is exactly
    1.0, so callers silence the overflow warning."""
    np.multiply(x, 2.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.divide(2.0, out, out=out)
    np.subtract(1.0, out, out=out)
    return out


def softmax_rows(logits, row):
    """Max-shifted softmax over the last axis of a 2-D array, in place (float32: with the logit floor);
    row: (n, 1) scratch."""
    logits -= np.maximum.reduce(logits, axis=-1, keepdims=True, out=row)
    if logits.dtype == np.float32:
        np.maximum(logits, LOGIT_FLOOR, out=logits)
    np.exp(logits, out=logits)
    logits /= np.add.reduce(logits, axis=-1, keepdims=True, out=row)
    return logits


def _recurrence(params, inputs, h_prev, s: Scratch):
    """h_t = tanh(Wxh x_t + Whh h_{t-1} + bh) over time, in s.states (states[0] = h_prev)."""
    Wxh, Whh, bh = params["Wxh"], params["Whh"], params["bh"]
    states = s.states
    states[0] = h_prev
    s.WxhT[...] = Wxh.T
    WhhT = Whh.T
    if len(h_prev) > 1:  # a product of many rows with Whh^T is faster on a contiguous copy; one row's is not
        WhhT = s.WhhT
        WhhT[...] = Whh.T
    np.add(s.WxhT.take(inputs.T, axis=0), bh, out=states[1:])  # Wxh x_t + bh, every step (a row gather)
    if Whh.dtype == np.float64 and s.tmp.size >= TANH_BY_EXP_MIN_SIZE:
        with np.errstate(over="ignore"):  # see tanh_by_exp
            _time_steps(states, WhhT, s.tmp, tanh_by_exp)
    else:
        _time_steps(states, WhhT, s.tmp, np.tanh)
    return states


def _time_steps(states, WhhT, tmp, tanh):
    """states[t+1] holds Wxh x_t + bh on entry and h_t on exit."""
    dot, add = c_dot, np.add
    h = states[0]
    for h_t in states[1:]:
        dot(h, WhhT, tmp)  # Whh h_{t-1}
        add(h_t, tmp, h_t)
        tanh(h_t, h_t)  # h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)
        h = h_t


def _output_probs(hs_flat, params, s: Scratch, temperature: float = 1.0):
    """p_t = softmax(y_t / temperature), y_t = Why h_t + by, every row at once, in s.probs."""
    logits = c_dot(hs_flat, params["Why"].T, s.probs)
    logits += params["by"]
    if temperature != 1.0:
        logits /= temperature
    return softmax_rows(logits, s.row)


def forward(params, inputs, h_prev, temperature: float = 1.0, workspace: Workspace | None = None):
    """model.forward for (B, T) ids and a (B, H) state: (hs, probs, h_last); hs and probs are views of
    the scratch arrays, so with a workspace they are valid until its next use."""
    (B, T), (H, V) = inputs.shape, params["Wxh"].shape
    dtype = params["Whh"].dtype
    s = workspace.scratch(B, T, H, V, dtype) if workspace is not None else Scratch(B, T, H, V, dtype)
    hs = _recurrence(params, inputs, h_prev, s)[1:]  # (T, B, H)
    probs = _output_probs(hs.reshape(T * B, H), params, s, temperature).reshape(T, B, V)
    return hs.transpose(1, 0, 2), probs.transpose(1, 0, 2), hs[-1].copy()


def loss_and_grads(params, inputs, targets, h_prev, grads_out=None, workspace: Workspace | None = None):
    """model.loss_and_grads for (B, T) ids and a (B, H) state, with the workspace's thread plan."""
    (B, T), (H, V), dtype = inputs.shape, params["Wxh"].shape, params["Whh"].dtype
    s = workspace.scratch(B, T, H, V, dtype) if workspace is not None else Scratch(B, T, H, V, dtype)
    plan = workspace.threads if workspace is not None else (1, 1)
    if plan == (1, 1):
        return _loss_and_grads(params, inputs, targets, h_prev, grads_out, s)
    set_threads = blas_thread_setter()
    try:
        return _loss_and_grads(params, inputs, targets, h_prev, grads_out, s, set_threads, *plan)
    finally:
        set_threads(1)


def _no_switch(n: int) -> None:
    """The thread switch of the one-thread plan: nothing to do."""


def _loss_and_grads(params, inputs, targets, h_prev, grads_out, s: Scratch, threads=_no_switch,
                    loop_threads: int = 1, big_threads: int = 1):
    Wxh, Whh, Why = params["Wxh"], params["Whh"], params["Why"]
    B, T = inputs.shape
    H, V = Wxh.shape
    n = T * B  # positions, time-major: row t*B + b is step t of stream b

    # ---- forward pass
    threads(loop_threads)
    states = _recurrence(params, inputs, h_prev, s)
    hs_flat = states[1:].reshape(n, H)
    threads(big_threads)
    probs = _output_probs(hs_flat, params, s)
    target_at = s.row_starts + targets.T.reshape(-1)  # flat position of p_t[target_t]
    p_target = probs.take(target_at)
    loss = -np.log(p_target).sum()

    # ---- backward pass
    dy = probs  # dL/dy_t = p_t - onehot(target_t), in the probs buffer
    dy.put(target_at, p_target - 1)
    g = grads_out if grads_out is not None else {
        "Wxh": np.empty_like(Wxh), "Whh": np.empty_like(Whh), "Why": np.empty_like(Why),
        "bh": np.empty_like(params["bh"]), "by": np.empty_like(params["by"])}
    np.matmul(dy.T, hs_flat, out=g["Why"])  # dWhy = sum_t dy_t h_t^T
    np.matmul(s.ones, dy, out=g["by"])  # dby = sum_t dy_t
    dh = s.dh
    c_dot(dy, Why, dh.reshape(n, H))  # Why^T dy_t, every step at once
    # 1 - h_t^2 with out= : on large arrays NumPy's search for reusable temporaries in `1 - hs * hs`
    # costs more than the arithmetic.
    dtanh = np.multiply(states[1:], states[1:], out=s.dtanh)
    np.subtract(1, dtanh, out=dtanh)
    dot, add, multiply = c_dot, np.add, np.multiply
    tmp = s.tmp
    threads(loop_threads)
    dhraw = dh[T - 1]
    multiply(dhraw, dtanh[T - 1], dhraw)  # the last step gets nothing from a later one
    for dh_t, dtanh_t in zip(dh[-2::-1], dtanh[-2::-1], strict=True):
        dot(dhraw, Whh, tmp)  # dhnext = Whh^T dhraw_{t+1}
        add(dh_t, tmp, dh_t)  # dh = Why^T dy_t + dhnext
        multiply(dh_t, dtanh_t, dh_t)  # dhraw_t = (1 - h_t^2) * dh
        dhraw = dh_t
    dhraw_flat = dh.reshape(n, H)
    threads(big_threads)
    np.matmul(dhraw_flat.T, states[:-1].reshape(n, H), out=g["Whh"])  # dWhh = sum_t dhraw_t h_{t-1}^T
    np.matmul(s.ones, dhraw_flat, out=g["bh"])  # dbh = sum_t dhraw_t
    onehot = s.onehot
    onehot.fill(0)
    onehot.put(s.row_starts + inputs.T.reshape(-1), 1)
    np.matmul(dhraw_flat.T, onehot, out=g["Wxh"])  # dWxh = sum_t dhraw_t x_t^T
    return float(loss), g, states[-1].copy()


def sample_ids(params, h, logits, uniforms, temperature: float, keep_top_k=None) -> list[int]:
    """sample.sample's loop: one id per uniform, from state h (H,) and the logits that follow it.

    keep_top_k: the caller's top-k filter for a logits vector, or None for no limit.
    """
    dtype = params["Whh"].dtype
    xb_rows = params["Wxh"].T + params["bh"]  # row x is Wxh x + bh for one-hot x
    WhhT, WhyT, by = np.ascontiguousarray(params["Whh"].T), np.ascontiguousarray(params["Why"].T), params["by"]
    h = np.array(h, dtype)  # our own copy: updated in place below
    V = len(by)
    y, e, cdf, tmp = np.empty(V, dtype), np.empty(V, dtype), np.empty(V, dtype), np.empty_like(h)
    dot, add, tanh, exp = c_dot, np.add, np.tanh, np.exp
    inv_t = 1.0 / temperature if temperature > 0 else 1.0
    out = []
    with np.errstate(over="ignore", under="ignore"):
        for u in uniforms:
            if keep_top_k is not None:
                logits = keep_top_k(logits)
            if temperature == 0:
                ix = int(logits.argmax())  # greedy
            else:
                exp(np.multiply(logits, inv_t, out=e) if inv_t != 1.0 else logits, out=e)  # unnormalised softmax
                p_cum = e.cumsum(out=cdf)
                if not 0 < p_cum[-1] < np.inf:  # exp overflowed or underflowed: shift by the max first
                    p_cum = np.exp((logits - logits.max()) * inv_t).cumsum()
                ix = int(p_cum.searchsorted(u * p_cum[-1]))  # inverse-CDF draw
            out.append(ix)
            dot(h, WhhT, tmp)
            tanh(add(xb_rows[ix], tmp, out=h), out=h)  # h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)
            logits = add(dot(h, WhyT, y), by, out=y)  # y_t = Why h_t + by
    return out
