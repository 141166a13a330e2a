"""``python -m workers``: a worker process (the same as ``vocsvc worker``)."""
from vocsvc.service.queue import run_worker

if __name__ == "__main__":
    run_worker()
