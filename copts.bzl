"""Compiler flags for the project's own code, set once."""

FLOWTOP_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
]
