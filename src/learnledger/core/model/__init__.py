"""The canonical data model: entities as code, their migrations and the folded catalogue."""
