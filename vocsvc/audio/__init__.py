"""Speech: call recordings to role-attributed, redacted, tagged transcripts (see vocsvc.audio.transcribe)."""
