"""Reading, one way: sources (text, excel, tables) → cells → mapping → privacy → contract → metrics →
portfolio; `columns` is the catalogue, `dictionary` writes the data dictionary (see `portfolio`)."""
