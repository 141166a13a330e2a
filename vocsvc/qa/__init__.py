"""Automatic QA of calls: a YAML scorecard (vocsvc.qa.template) scored on a transcript (vocsvc.qa.score)."""
