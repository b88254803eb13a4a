"""Discovery rules, in one package: which shows belong in a Sonarr server, and why not.

``criteria`` is the one table of criteria and excludes; every surface is derived from it:
``engine`` (pure evaluation, the filters hash, where a decision may move), ``vocab`` (the
TVMaze vocabularies and the checks a save and a preview share), ``decide`` (re-decide shows
from their stored facts), ``refilter`` (a run re-deciding every show for one rule),
``preview`` ("what would this rule admit?") and ``services`` (what operators do to rules
and decisions). The API serializer and the admin form build their fields from the table.
"""
