"""Training and measuring extraction: the extraction and signatory models fitted from
the annotations (tests/gold/), the scores against the gold set, held out."""
