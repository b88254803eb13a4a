"""Where catalog meets configuration: the integrations clients built from settings
(``clients``) and the check a server must pass before it is saved (``checks``)."""
