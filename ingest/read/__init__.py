"""Reading: a PDF (PyMuPDF, OCR) or a text export -> a Document of blocks, page geometry and
line rules, headings, and opening files safely."""
