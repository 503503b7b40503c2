"""evals: measure the answers against a dataset of known answers (`report-qa eval`)."""
