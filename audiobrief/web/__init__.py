"""The HTTP shell: a Litestar app over the same pipeline as the command line."""
