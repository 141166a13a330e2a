"""The service layer: the only place that chains stages.

``cli``, ``api`` and ``workers`` call these functions; they call the analyzer (vocsvc.analyzer), the pure rules
(vocsvc.alerting, vocsvc.themes, vocsvc.kpi) and the store (vocsvc.store, SQL only). Data flows one way:
request -> service -> rules / store -> typed rows -> service -> response.

* :mod:`.core`: the composition root (settings, clock, database, models, queue, background loops)
* :mod:`.mentions`: ingest (PII spans kept) -> analyze -> theme -> save -> alert rules -> outbox; reads
* :mod:`.alerts`, :mod:`.outbox`: the 72-hour workflow and its signed webhooks
* :mod:`.themes`, :mod:`.metrics`: re-discovery and the statistics marketing reads
* :mod:`.calls`: call submit and materialisation, QA reads and reviews
* :mod:`.queue`, :mod:`.maintenance`: the job queue, its sweeper and the housekeeping loop
"""
