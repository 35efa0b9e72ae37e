"""`python -m services.scoring`: the scoring worker process."""

from govmon.bootstrap import run_service

if __name__ == "__main__":
    run_service("scoring")
