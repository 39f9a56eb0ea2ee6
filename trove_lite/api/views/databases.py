"""Shapes of an instance's databases (upstream's SchemaView).

The guest reports character sets too; upstream shows only the name.
"""


def database(entry):
    return {'name': entry['name']}


def databases(entries):
    return [database(entry) for entry in entries]
