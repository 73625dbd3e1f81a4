"""Generic, file-free statistics: effect estimators, robust inference, power, claims and verdicts, assignment design, large-n policy."""
