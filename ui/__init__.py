"""Streamlit-only helpers shared by the pages (session state, sidebar, small widgets). No maths here."""
