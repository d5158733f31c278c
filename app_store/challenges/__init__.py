"""Challenges: organisers' tasks scored automatically on households the teams never saw
(definitions, kinds and metrics, household sets, scoring runs, leaderboards)."""
