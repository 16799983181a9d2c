"""Checking a value against the small part of JSON Schema that constrained decoding uses.

Servers turn a schema into a grammar (llama.cpp's json-schema-to-grammar, which Ollama uses too),
and those converters understand a subset: types, properties, required, additionalProperties,
enum, const, anyOf/oneOf/allOf, items and simple length and range bounds. That subset is what
the app sends, so it is what is checked here; other keywords (title, description, default,
format, pattern) are ignored rather than guessed at. No third-party validator is needed for it.
"""

from __future__ import annotations

from typing import Any

from smallclaw_tui.llm.base import JsonSchema

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "null": (type(None),),
}


def schema_errors(value: Any, schema: JsonSchema, path: str = "$") -> list[str]:
    """What is wrong with `value` under `schema`, one line per problem; empty when it conforms."""
    errors: list[str] = []
    _check(value, schema, path, errors)
    return errors


def conforms(value: Any, schema: JsonSchema) -> bool:
    return not schema_errors(value, schema)


def _type_ok(value: Any, name: str) -> bool:
    kinds = _TYPES.get(name)
    if kinds is None:
        return True
    # bool is an int in Python, but not a number in JSON.
    if isinstance(value, bool) and name in ("number", "integer"):
        return False
    return isinstance(value, kinds)


def _check(value: Any, schema: Any, path: str, errors: list[str]) -> None:
    if schema is True or schema == {}:
        return
    if schema is False:
        errors.append(f"{path}: no value is allowed here")
        return
    if not isinstance(schema, dict):
        return
    expected = schema.get("type")
    if expected is not None:
        names = expected if isinstance(expected, list) else [expected]
        if not any(_type_ok(value, str(n)) for n in names):
            errors.append(f"{path}: expected {' or '.join(map(str, names))}, got {type(value).__name__}")
            return
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: must be {schema['const']!r}")
    if isinstance(schema.get("enum"), list) and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {schema['enum']!r}")
    _alternatives(value, schema, path, errors)
    if isinstance(value, dict):
        _object(value, schema, path, errors)
    elif isinstance(value, list):
        _array(value, schema, path, errors)
    elif isinstance(value, str):
        _bounds(len(value), schema, "minLength", "maxLength", path, "characters", errors)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _bounds(value, schema, "minimum", "maximum", path, "", errors)


def _alternatives(value: Any, schema: dict[str, Any], path: str, errors: list[str]) -> None:
    for sub in schema.get("allOf") or []:
        _check(value, sub, path, errors)
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if not isinstance(options, list) or not options:
            continue
        matching = [o for o in options if not schema_errors(value, o, path)]
        if not matching:
            errors.append(f"{path}: matches none of the {len(options)} {key} alternatives")
        elif key == "oneOf" and len(matching) > 1:
            errors.append(f"{path}: matches {len(matching)} oneOf alternatives, not exactly one")


def _object(value: dict[str, Any], schema: dict[str, Any], path: str, errors: list[str]) -> None:
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    for name in schema.get("required") or []:
        if name not in value:
            errors.append(f"{path}: missing {name!r}")
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in props:
            _check(item, props[key], f"{path}.{key}", errors)
        elif extra is False:
            errors.append(f"{path}: unexpected key {key!r}")
        elif isinstance(extra, dict):
            _check(item, extra, f"{path}.{key}", errors)


def _array(value: list[Any], schema: dict[str, Any], path: str, errors: list[str]) -> None:
    items = schema.get("items")
    if isinstance(items, dict):
        for i, item in enumerate(value):
            _check(item, items, f"{path}[{i}]", errors)
    _bounds(len(value), schema, "minItems", "maxItems", path, "items", errors)


def _bounds(
    size: float, schema: dict[str, Any], low: str, high: str, path: str, unit: str, errors: list[str]
) -> None:
    least, most = schema.get(low), schema.get(high)
    suffix = f" {unit}" if unit else ""
    if isinstance(least, int | float) and size < least:
        errors.append(f"{path}: fewer than {least}{suffix}" if unit else f"{path}: below {least}")
    if isinstance(most, int | float) and size > most:
        errors.append(f"{path}: more than {most}{suffix}" if unit else f"{path}: above {most}")
