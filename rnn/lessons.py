"""Guided lessons: a track through min-char-rnn's parts, then experiments, each step a scene, a task and a check.

A step sets its scene in one click (a built-in corpus and settings, or a starter model, and the page to look
at), asks for one action, checks on the model that it happened (e.g. "the loss fell below ln V") and then
explains in two or three sentences what the student just saw. The checks read only what a Trainer shows
(iteration, losses, status) and which pages the student opened since the step began, so they need no
Streamlit and are tested on plain Trainers (tests/unit/test_lessons.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scene:
    page: str  # the page to open, by its sidebar name
    corpus: str | None = None  # a built-in corpus for a fresh model (None: keep the model)
    settings: dict = field(default_factory=dict)  # TrainConfig fields of that fresh model
    starter: str | None = None  # or open a starter model (rnn/starters.py)


@dataclass(frozen=True)
class Since:
    """What the check compares against: the model and the pages when the step began."""

    iteration: int  # the model's iteration when the scene was set (or the step began)
    pages: frozenset[str]  # the pages opened since then


@dataclass(frozen=True)
class Step:
    id: str
    part: str  # the part of the seed notebook, or "Experiment"
    title: str
    scene: Scene
    task: str  # the one thing to do
    goal: str  # what the check waits for, in words
    check: Callable[[object, Since], bool]  # (trainer, since) -> done
    explain: str  # what the student just saw


def _opened(page: str) -> Callable[[object, Since], bool]:
    return lambda trainer, since: page in since.pages


def _stepped(n: int) -> Callable[[object, Since], bool]:
    return lambda trainer, since: trainer.iteration - since.iteration >= n


def _loss_below(fraction: float) -> Callable[[object, Since], bool]:
    """The recent loss under `fraction` of ln V, a uniform guess over the V characters."""
    return lambda trainer, since: (trainer.iteration > since.iteration and trainer.recent_loss is not None
                                   and trainer.recent_loss < fraction * math.log(trainer.vocab.size))


def _diverged(trainer, since: Since) -> bool:
    return trainer.status == "diverged"


STEPS: tuple[Step, ...] = (
    Step("predict", "1. Predict the next character", "What the model does", Scene("Sample", corpus="zen"),
         "Look at the samples of this untrained model.", "you opened Sample", _opened("Sample"),
         "The network's only job is to say, after each character, how likely every character is to come next. "
         "Untrained, its weights are small random numbers, so every guess is close to uniform and the text is "
         "noise. Training will change that."),
    Step("data", "2. Data and vocabulary", "The characters it can know", Scene("Data"),
         "Find how many distinct characters the text has.", "you opened Data", _opened("Data"),
         "The vocabulary is the set of distinct characters, V of them. Each character enters the network as a "
         "one-hot vector x of length V, all zeros but a 1 at its index, and the output is a score for each of "
         "the V characters."),
    Step("equations", "3. The equations", "One step of the RNN", Scene("BPTT walkthrough"),
         "Read the forward pass of the next training step.", "you opened BPTT walkthrough",
         _opened("BPTT walkthrough"),
         "h_t = tanh(Wxh x_t + Whh h_{t-1} + bh) mixes the new character with the memory h_{t-1}; "
         "y_t = Why h_t + by scores the next character; softmax turns the scores into probabilities. The same "
         "three matrices are used at every step."),
    Step("loss", "4. Forward pass and loss", "The loss of a guess", Scene("Train", corpus="zen"),
         "Press Step 1.", "one training step", _stepped(1),
         "The loss is -ln p of the character that really came next, averaged over the sequence. A uniform "
         "guess over V characters costs ln V nats, and that is where an untrained model starts: look at the "
         "dashed line on the loss chart."),
    Step("sampling", "5. Sampling before training", "Text from an untrained model", Scene("Sample"),
         "Compare the temperatures.", "you opened Sample", _opened("Sample"),
         "Sampling feeds each drawn character back in as the next input. One step of training barely changes "
         "the weights, so the text is still noise at every temperature."),
    Step("bptt", "6. Backpropagation through time", "Where the gradient comes from",
         Scene("BPTT walkthrough"), "Take the walkthrough's step.", "one training step", _stepped(1),
         "The gradient of the loss flows back from every output through Why, then back through the hidden "
         "states, multiplied by Whh and by tanh's slope at each step. Gradients from all seq_length steps add "
         "up in the same three matrices; they are clipped so one bad step cannot blow the weights up."),
    Step("loop", "7. The training loop and Adagrad", "Many small steps", Scene("Train"),
         "Press Step 100.", "100 training steps", _stepped(100),
         "Each step reads the next seq_length characters, computes the loss and its gradients, and lets Adagrad "
         "move every weight: by the learning rate, divided by the root of that weight's summed squared "
         "gradients, so often-pushed weights move less. Each thin point of the loss chart is one such step."),
    Step("curve", "8. The loss curve", "Watching it learn", Scene("Train"),
         "Press Run and watch the loss fall; pause when the sidebar says done.",
         "the recent loss below half of ln V", _loss_below(0.5),
         "Half of ln V: the model is far surer than a uniform guess. The curve falls fast while it learns "
         "which characters are common, then slowly as it learns words and structure. The validation points "
         "(text it never trains on) say whether it learns or memorises."),
    Step("temperature", "9. Temperature", "Sure or adventurous", Scene("Sample"),
         "Compare T = 0.2 with T = 2.", "you opened Sample", _opened("Sample"),
         "Temperature divides the scores before the softmax. Below 1 the likely characters get likelier and the "
         "text repeats itself; above 1 the distribution flattens and the text gets inventive, then broken."),
    Step("learned", "10. What the model learned", "Inside a trained network",
         Scene("Neurons", starter="prose"), "Find a unit that follows spaces or line ends, and hold it.",
         "you opened Neurons", _opened("Neurons"),
         "This starter model trained for 5,000 steps. Some hidden units follow simple features of the text; "
         "holding one at a value while the model writes shows what it causes, not only what it follows."),
    Step("too-high", "Experiment: learning rate too high", "When training blows up",
         Scene("Train", corpus="zen", settings={"learning_rate": 1.0}),
         "Press Run and wait.", "training diverged", _diverged,
         "With steps this big, each update overshoots, the loss grows instead of falling and the guard stops "
         "training, going back to the last good weights. Lower the learning rate and press Run to continue."),
    Step("short-seq", "Experiment: a sequence shorter than a dependency", "Memory needs gradients that reach",
         Scene("Train", corpus="brackets", settings={"seq_length": 4}),
         "Run at least 2,000 steps, then look at Samples: are the brackets closed?", "2,000 training steps",
         _stepped(2000),
         "With seq_length 4 the gradient never reaches back further than 4 characters, so the model cannot learn "
         "to close a bracket opened 10 characters ago. Try again with seq_length 50 on the Train page."),
    Step("hidden", "Experiment: hidden size", "How much memory", Scene("Train", corpus="python-docs",
                                                                      settings={"hidden_size": 8}),
         "Run 1,000 steps with 8 hidden units.", "1,000 training steps", _stepped(1000),
         "Eight units are eight numbers of memory: the loss flattens early. Compare on Runs with a model of 100 "
         "units (the Train page's hidden size), or load the hyperparameter gallery there."),
)

BY_ID = {s.id: s for s in STEPS}


@dataclass
class Progress:
    """A student's way through the track: the current step, the steps done, what the check compares with."""

    current: int = 0
    done: set[str] = field(default_factory=set)
    start_iteration: int = 0
    pages: set[str] = field(default_factory=set)

    @property
    def step(self) -> Step:
        return STEPS[self.current]

    def begin(self, index: int, iteration: int) -> None:
        """Go to step `index` (0-based) with the model at `iteration`."""
        self.current = max(0, min(index, len(STEPS) - 1))
        self.start_iteration, self.pages = iteration, set()

    def opened(self, page: str) -> None:
        self.pages.add(page)

    def check(self, trainer) -> bool:
        """Whether the current step's goal has been reached (it stays done once it was)."""
        if self.step.id in self.done:
            return True
        if self.step.check(trainer, Since(self.start_iteration, frozenset(self.pages))):
            self.done.add(self.step.id)
            return True
        return False
