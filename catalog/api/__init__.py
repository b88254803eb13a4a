"""The REST API. Importing it makes every ModelSerializer build the strict JSON fields: done
here rather than at start-up, so a worker or a command that never serves the API does not load
Django REST framework (nor, through it, psycopg on SQLite)."""

from catalog.api.fields import use_strict_json_fields

use_strict_json_fields()
