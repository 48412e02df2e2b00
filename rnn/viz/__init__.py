"""Plotly figure builders: data in, go.Figure out. Usable from a notebook; no Streamlit here.

Modules: training (loss curves, hidden-state heatmaps, next-char bars), insight (neurons, surprise,
health, BPTT), runs (run comparison).
"""
