"""The neighbourhoods of a contract (QPV, quartiers de veille): mentions found in
lists, tables and prose, grouped, and linked to the official QPV list."""
