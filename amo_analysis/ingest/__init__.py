"""Reading: table files and databases, header mapping, personal data, cells, the contract, derived metrics, the Portfolio."""
