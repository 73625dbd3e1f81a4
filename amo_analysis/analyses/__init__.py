"""One module per notebook: what each notebook computes from a portfolio (overview, effects, framing, forecast, roi, references)."""
