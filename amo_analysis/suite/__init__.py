"""The command line and the runner that executes the notebooks with papermill."""
