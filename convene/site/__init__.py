"""The home page, health check and the pieces of the layout every page shares."""
