"""One module per benchmark topic: the renderers of the blocks of README.md and BENCHMARKS.md
that show that topic's entries (``render.renders``)."""
