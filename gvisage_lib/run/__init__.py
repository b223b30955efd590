"""Running the pipeline: the notebooks in order (``pipeline``), the ``gvisage`` command (``cli``) and the setup call
every notebook starts with (``notebook``)."""

from gvisage_lib.run.notebook import NotebookRun, setup_notebook

__all__ = ["NotebookRun", "setup_notebook"]
