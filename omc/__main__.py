"""Allow `python -m omc`."""

from omc.cli.main import run

if __name__ == "__main__":
    run()
