"""Optimisation passes: each a pure ``Function -> Function`` in its own file.

``pipeline.py`` lists the default order. Passes never import codegen.
"""
