"""Store path-mapping prefixes in their canonical spelling (``/data/tv/`` -> ``/data/tv``).

Where two mappings of one server name the same place, only the one the resolver already
used is kept (the first in the server's ordering, as ``PathResolver`` read them); the other
never took effect. The spelling rules are copied here so that later edits to
``catalog.paths.prefixes`` cannot change what this migration did.
"""

import re

from django.db import migrations

_WINDOWS = re.compile(r"^(?:[A-Za-z]:(?:[\\/]|$)|\\\\|//)")


def _segments(text, windows):
    text = text.replace("\\", "/") if windows else text
    root = "//" if windows and text.startswith("//") else "/" if text.startswith("/") else ""
    parts = tuple(part for part in text.split("/") if part)
    return (root, *parts) if root else parts


def _key(prefix):
    text = prefix.strip()
    windows = _WINDOWS.match(text) is not None
    parts = _segments(text if windows else text.replace("\\", "/"), windows)
    return windows, tuple(p.casefold() for p in parts) if windows else parts


def _posix(text):
    return "/" + "/".join(p for p in text.split("/") if p) if text.startswith("/") else text


def _plex(prefix):
    text = prefix.strip()
    if _WINDOWS.match(text) is None:
        return _posix(text)
    separator = "/" if "/" in text and "\\" not in text else "\\"
    parts = _segments(text, True)
    if parts and parts[0] == "//":
        return separator * 2 + separator.join(parts[1:])
    return parts[0] + separator + separator.join(parts[1:])


def normalize(apps, schema_editor):
    PathMapping = apps.get_model("catalog", "PathMapping")
    seen, shadowed, changed = set(), [], []
    for mapping in PathMapping.objects.order_by("server_id", "plex_prefix", "id"):
        key = (mapping.server_id, _key(mapping.plex_prefix))
        if key in seen:
            shadowed.append(mapping.pk)
            continue
        seen.add(key)
        plex, local = _plex(mapping.plex_prefix), _posix(mapping.local_prefix.strip())
        if (plex, local) != (mapping.plex_prefix, mapping.local_prefix):
            mapping.plex_prefix, mapping.local_prefix = plex, local
            changed.append(mapping)
    PathMapping.objects.filter(pk__in=shadowed).delete()
    PathMapping.objects.bulk_update(changed, ["plex_prefix", "local_prefix"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0006_run_lease"),
    ]

    operations = [
        migrations.RunPython(normalize, migrations.RunPython.noop),
    ]
