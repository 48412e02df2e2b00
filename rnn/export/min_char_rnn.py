'''The template of an exported training script: min-char-rnn's loop, as rnn/train.py's Trainer runs it.

script.py fills in the marked places ({{NAME}}) and writes the result as one file that needs only NumPy. What
the template must do is what Trainer._one_step does for the single-layer vanilla RNN, in the same order of
operations, so that the exported run reproduces the original's loss curve (tests/unit/test_export_script.py
runs it and compares): the same initial weights (rnn/model.py init_params), the same B streams through the
training text (Trainer._setup_streams, _next_batch), the same forward and backward pass (rnn/fast.py: the
engine's default path, written plainly here), the same clipping (rnn/optim.py clip_grads), the same optimizer
step and the same smooth_loss (started at ln V, then smooth * 0.999 + per_char * 0.001). Settings changed during
the run (Trainer.events) are replayed at the iterations where they changed.

Left out, because they never change what a step computes: validation, stored samples, health records, the
thread plan and the divergence guard (a run it stopped was rolled back to a state this loop reaches anyway).
'''

TEMPLATE = '''\
"""{{TITLE}}

A character-level vanilla RNN in plain NumPy, in the spirit of Andrej Karpathy's min-char-rnn
(https://gist.github.com/karpathy/d4dee566867f8291f086): data, parameters, the loss function, sampling
and the training loop, top to bottom. Exported by RNN Lab from {{ORIGIN}}.

    python {{FILENAME}}

retrains the model from scratch with the run's corpus, settings and seed and reproduces its loss curve:
the smoothed loss after the last iteration is the run's (on the same machine and NumPy/BLAS; training
is chaotic, so another BLAS may round differently and drift apart after a few hundred steps). The last
line printed is JSON: {"iterations": ..., "smooth_loss": ...}. Needs only NumPy.

The equations, for one stream and one time step:
    h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)      hidden state (x_t is a one-hot column)
    y_t = Why h_t + by                           logits
    p_t = softmax(y_t)                           next-character probabilities
    loss = -sum_t log p_t[target_t]              cross-entropy in nats
Unlike the original, B streams read B parts of the text side by side, and each step handles all time
steps of all streams with a few matrix products (only the recurrence is a Python loop). Arrays are
time-major: hs[t] is (B, H), and row t*B + b of a flattened array is step t of stream b.
"""

import hashlib
import json
import math
import sys

import numpy as np

# ----------------------------------------------------------------------------- settings (the run's)
ITERATIONS = {{ITERATIONS}}  # training steps the run took
HIDDEN_SIZE = {{HIDDEN_SIZE}}  # H, hidden units
SEQ_LENGTH = {{SEQ_LENGTH}}  # T, characters per truncated-BPTT chunk
LEARNING_RATE = {{LEARNING_RATE}}
OPTIMIZER = {{OPTIMIZER}}
CLIP = {{CLIP}}  # each gradient element is clipped to [-CLIP, CLIP] (0: off)
BATCH = {{BATCH}}  # B, parallel streams through the text (1 = min-char-rnn)
SEED = {{SEED}}  # seeds the initial weights
DTYPE = np.{{DTYPE}}
PRINT_EVERY = {{PRINT_EVERY}}  # iterations between progress lines
# Settings changed during the run: (iteration, setting, new value), applied before that iteration's next step.
CHANGES = {{CHANGES}}

# ----------------------------------------------------------------------------- data
{{CORPUS}}
TRAIN_CHARS = {{TRAIN_CHARS}}  # the first TRAIN_CHARS characters are training text (the rest was validation)
TEXT_SHA256 = "{{TEXT_SHA256}}"
if hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() != TEXT_SHA256:
    sys.exit("the corpus is not the run's text (another Python version's built-in text?): cannot reproduce it")

chars = sorted(set(text))  # the vocabulary: every distinct character, in code-point order
vocab_size = V = len(chars)
char_to_ix = {ch: i for i, ch in enumerate(chars)}
ix_to_char = {i: ch for i, ch in enumerate(chars)}
data = np.array([char_to_ix[ch] for ch in text[:TRAIN_CHARS]], dtype=np.int64)
print(f"data has {len(text):,} characters ({len(data):,} for training), {V} unique.")

# B streams: stream b reads the b-th of B equal parts of the training text (row b of `streams`).
segment = len(data) // BATCH
streams = data[:BATCH * segment].reshape(BATCH, segment)

# ----------------------------------------------------------------------------- model parameters
H = HIDDEN_SIZE
rng = np.random.default_rng(SEED)
Wxh = (rng.standard_normal((H, V)) * 0.01).astype(DTYPE)  # input to hidden
Whh = (rng.standard_normal((H, H)) * 0.01).astype(DTYPE)  # hidden to hidden
Why = (rng.standard_normal((V, H)) * 0.01).astype(DTYPE)  # hidden to output
bh = np.zeros(H, DTYPE)  # hidden bias
by = np.zeros(V, DTYPE)  # output bias
params = {"Wxh": Wxh, "Whh": Whh, "Why": Why, "bh": bh, "by": by}

{{TANH}}
{{SOFTMAX}}

def lossFun(inputs, targets, hprev):
    """inputs, targets: (B, T) character ids; hprev: (B, H), the state carried from the last chunk.
    Returns the loss (nats, summed over all B*T characters), the gradients and the last hidden state."""
    B, T = inputs.shape
    n = T * B  # positions, time-major
    # ---- forward pass
    hs = np.empty((T + 1, B, H), DTYPE)  # hs[0] = hprev, hs[t + 1] = h_t
    hs[0] = hprev
    # Wxh x_t + bh for every step at once: x_t is one-hot, so Wxh x_t is column x_t of Wxh
    hs[1:] = Wxh.T[inputs.T] + bh
    WhhT = Whh.T if B == 1 else np.ascontiguousarray(Whh.T)  # a contiguous copy is faster for many rows
    for t in range(T):
        hs[t + 1] = tanh(hs[t + 1] + np.dot(hs[t], WhhT))  # h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)
    h_flat = hs[1:].reshape(n, H)  # one row per position
    ps = softmax(np.dot(h_flat, Why.T) + by)  # p_t = softmax(y_t), y_t = Why h_t + by: all steps at once
    rows, target_ix = np.arange(n), targets.T.reshape(-1)
    loss = -np.log(ps[rows, target_ix]).sum()  # cross-entropy, summed over steps and streams
    # ---- backward pass
    dy = ps  # dL/dy_t = p_t - onehot(target_t), in place
    dy[rows, target_ix] -= 1
    dWhy = dy.T @ h_flat  # dWhy = sum_t dy_t h_t^T
    dby = np.ones(n, DTYPE) @ dy  # dby = sum_t dy_t (a row sum, as a product)
    dh = np.dot(dy, Why).reshape(T, B, H)  # Why^T dy_t, every step at once
    dtanh = 1 - hs[1:] * hs[1:]  # tanh'(.) = 1 - h_t^2
    dhraw = np.empty((T, B, H), DTYPE)
    dhnext = np.zeros((B, H), DTYPE)
    for t in reversed(range(T)):  # backprop through time, last step first
        dhraw[t] = (dh[t] + dhnext) * dtanh[t]  # dh = Why^T dy_t + dhnext, then back through tanh
        dhnext = np.dot(dhraw[t], Whh)  # dhnext = Whh^T dhraw: into h_{t-1}
    dhraw_flat = dhraw.reshape(n, H)
    dWhh = dhraw_flat.T @ hs[:-1].reshape(n, H)  # dWhh = sum_t dhraw_t h_{t-1}^T
    dbh = np.ones(n, DTYPE) @ dhraw_flat  # dbh = sum_t dhraw_t
    xs = np.zeros((n, V), DTYPE)  # the one-hot inputs x_t
    xs[rows, inputs.T.reshape(-1)] = 1
    dWxh = dhraw_flat.T @ xs  # dWxh = sum_t dhraw_t x_t^T
    grads = {"Wxh": dWxh, "Whh": dWhh, "Why": dWhy, "bh": dbh, "by": dby}
    return float(loss), grads, hs[-1].copy()


def sample(h, seed_ix, n, temperature=1.0, seed=0):
    """Sample n character ids from the model, one stream from state h (H,), after reading seed_ix."""
    draw = np.random.default_rng(seed)
    ixes = []
    for _ in range(n):
        h = np.tanh(Wxh[:, seed_ix] + Whh @ h + bh)  # h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)
        y = Why @ h + by
        p = np.exp((y - y.max()) / temperature)
        seed_ix = int(draw.choice(V, p=p / p.sum()))
        ixes.append(seed_ix)
    return ixes


# ----------------------------------------------------------------------------- optimizer
{{OPTIMIZERS}}

def make_memory(name):
    """The optimizer's memory, one array per parameter and slot, starting at zero."""
    return {slot: {k: np.zeros_like(p) for k, p in params.items()} for slot in SLOTS[name]}


# ----------------------------------------------------------------------------- training
settings = {"learning_rate": LEARNING_RATE, "clip": CLIP, "seq_length": SEQ_LENGTH, "optimizer": OPTIMIZER}
memory, updates = make_memory(OPTIMIZER), 0  # updates: steps of the current optimizer (Adam's t)
h = np.zeros((BATCH, H), DTYPE)  # the carried hidden state, one row per stream
pointer, iteration = 0, 0
smooth_loss = math.log(V)  # the uniform guess, ln V nats/char, as the seed starts it
with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
    while iteration < ITERATIONS:
        for at, name, value in CHANGES:  # replay a setting changed at this iteration
            if at == iteration:
                if name == "optimizer" and value != settings["optimizer"]:
                    memory, updates = make_memory(value), 0  # a new optimizer starts with empty memory
                settings[name] = value
        T = settings["seq_length"]
        if pointer + T + 1 > segment:  # end of the data: go back to the start and reset the RNN memory
            pointer = 0
            h = np.zeros((BATCH, H), DTYPE)
        chunk = streams[:, pointer:pointer + T + 1]
        inputs, targets = chunk[:, :-1], chunk[:, 1:]  # each (B, T): the targets are the next characters

        loss, grads, h_last = lossFun(inputs, targets, h)
        per_char = loss / inputs.size
        if not math.isfinite(per_char):
            print(f"iter {iteration}: the loss is {per_char}: training diverged")
            break
        clip = settings["clip"]
        if clip > 0:
            for g in grads.values():
                np.clip(g, -clip, clip, out=g)  # clip to mitigate exploding gradients
        updates += 1
        for k in params:  # the update, in place
            STEP[settings["optimizer"]](params[k], grads[k], {s: m[k] for s, m in memory.items()},
                                        settings["learning_rate"], updates)

        h = h_last
        pointer += T  # move the data pointer
        iteration += 1
        smooth_loss = smooth_loss * 0.999 + per_char * 0.001  # nats per character
        if iteration % PRINT_EVERY == 0:
            print(f"iter {iteration}, smooth loss {smooth_loss:.6f} nats/char")

# a sample from where training stopped: stream 0's state, fed the character after its last chunk
start_ix = int(targets[0, -1]) if iteration else 0
text_out = "".join(ix_to_char[ix] for ix in sample(h[0].copy(), start_ix, 200))
print("----\\n" + text_out + "\\n----")
print(json.dumps({"iterations": iteration, "smooth_loss": smooth_loss}))
'''

TANH = {
    "numpy": '''\
tanh = np.tanh  # the hidden units' nonlinearity

''',
    "exp": '''\
def tanh(x):
    """tanh(x) as 1 - 2 / (exp(2x) + 1): the engine's form for big float64 batches (B*H >= 1024), faster than
    np.tanh there and within 4e-16 of it. Kept here so that this run's numbers are the engine's to the last bit."""
    return 1.0 - 2.0 / (np.exp(x * 2.0) + 1.0)

''',
}

SOFTMAX = {
    "float64": '''\
def softmax(y):
    """Softmax of each row, shifted by its max first (the same result, and exp cannot overflow)."""
    y = y - y.max(axis=1, keepdims=True)
    p = np.exp(y)
    return p / p.sum(axis=1, keepdims=True)
''',
    "float32": '''\
def softmax(y):
    """Softmax of each row, shifted by its max first. In float32 logits more than 80 below the max are raised to
    -80 before exp (the engine's logit floor): their probabilities would be denormals, which slow everything."""
    y = np.maximum(y - y.max(axis=1, keepdims=True), -80.0)
    p = np.exp(y)
    return p / p.sum(axis=1, keepdims=True)
''',
}

# One update rule per optimizer (rnn/optim.py), each written in the engine's order of operations.
OPTIMIZER_CODE = {
    "adagrad": '''\
def adagrad(p, g, memory, lr, t):
    """mem += g^2; p -= lr * g / sqrt(mem + 1e-8)  (min-char-rnn's update)"""
    memory["mem"] += g * g
    p -= lr * (g / np.sqrt(memory["mem"] + 1e-8))
''',
    "sgd": '''\
def sgd(p, g, memory, lr, t):
    """SGD with momentum 0.9: v = 0.9 v - lr g; p += v"""
    v = memory["velocity"]
    v *= 0.9
    v -= g * lr
    p += v
''',
    "rmsprop": '''\
def rmsprop(p, g, memory, lr, t):
    """cache = 0.9 cache + 0.1 g^2; p -= lr * g / (sqrt(cache) + 1e-8)"""
    cache = memory["cache"]
    cache *= 0.9
    cache += (g * g) * (1 - 0.9)
    p -= lr * (g / (np.sqrt(cache) + 1e-8))
''',
    "adam": '''\
def adam(p, g, memory, lr, t):
    """Adam (Kingma & Ba) with bias correction, betas 0.9 and 0.999:
    m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr * m_hat / (sqrt(v_hat) + 1e-8)"""
    m, v = memory["m"], memory["v"]
    m *= 0.9
    m += g * (1 - 0.9)
    v *= 0.999
    v += (g * g) * (1 - 0.999)
    denom = np.sqrt(v / (1 - 0.999**t)) + 1e-8  # sqrt(v_hat) + eps, v_hat = v / (1 - b2^t)
    p -= (m / denom) * (lr / (1 - 0.9**t))  # m_hat = m / (1 - b1^t)
''',
}
SLOTS = {"adagrad": ("mem",), "sgd": ("velocity",), "rmsprop": ("cache",), "adam": ("m", "v")}
