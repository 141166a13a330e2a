"""``vocsvc batch``: the text pipeline over large dumps, as typed Parquet shards, resumable after any kill.

Engines: :mod:`vocsvc.batch.local` (default: one process per core) and :mod:`vocsvc.batch.ray_engine`
(Ray Data, optional extra). Both write the same shards through :mod:`vocsvc.batch.schema`.
"""
