"""Worker processes: ``python -m workers`` (or ``vocsvc worker``) consumes the job queue
(vocsvc.service.queue)."""
