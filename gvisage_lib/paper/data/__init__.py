"""Package data: the paper's Table 1 (table1_paper.csv) and the twin's documented choices (twin_parameters.json)."""
