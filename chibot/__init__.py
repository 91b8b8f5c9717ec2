"""The composition root: the runtime and the command line, the only place that knows every part."""
