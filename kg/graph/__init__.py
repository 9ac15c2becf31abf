"""The graph: extraction records -> RDF (ontology/ terms, readable URIs, PROV to passages),
the vocabularies, the Data Cube counts, the geometries and the SHACL shapes. Imports no
other kg subpackage: the store, the index and the build come after it."""
