"""The ``omc`` command line: thin Typer shells over the library in ``omc/``."""
