"""Tools that look inside the RNN (NumPy only, one small module per idea).

neurons (what a hidden unit tracks), surprise (per-character loss), health (spectral radius, saturation,
gradient flow through time), gradcheck (analytic vs numerical gradients), memorization (copied stretches
in a sample), walkthrough (one training step laid out), loss_words (a loss in plain words).
Nothing here imports streamlit or plotly, and nothing mutates a Trainer.
"""
