"""What the notebooks show and leave: run context, figures, results.json records, HTML pages."""
