"""Triage: from canonical answers to the accountable first contact (DOMAIN.md policy).

- `answers`: the canonical answer keys and choices, `Answers`, validation;
- `rules`: the policy as data (`default.yaml` or a municipality's file), loaded and compiled;
- `reasons`: reason codes and their texts, rendered in the reader's language;
- `decide`: the decision for a set of answers and the municipality's providers;
- `cases`: a municipality's own table of cases for `flask triage check`.
"""
