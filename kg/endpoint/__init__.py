"""What `contrats serve` needs beside the SPARQL protocol (kg.serve): the build it follows
across rebuilds, the HTTP guards, and /search as JSON."""
