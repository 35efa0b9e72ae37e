"""`python -m services.timeliness`: the timeliness worker process."""

from govmon.bootstrap import run_service

if __name__ == "__main__":
    run_service("timeliness")
