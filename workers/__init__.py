"""Transcription and batch workers."""
