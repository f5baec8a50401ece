"""JSON Schema (draft 7) of config models, with each field's docstring as its description: what
`docs/datasets.md`, `dlkit list datasets --options` and `dlkit schema` are generated from."""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from dlkit.core.registry import Registry

#: Where draft 7 keeps shared schemas (pydantic's default, `$defs`, is a later draft's keyword).
REF_TEMPLATE = "#/definitions/{model}"
#: The definition of a field holding one entry of a registry (`registry.field`), by `dlkit list` name.
REGISTRY_REF = "#/definitions/registry.{listing}"


@functools.cache
def attribute_docs(cls: type) -> dict[str, str]:
    """The docstrings written under a class's fields (its bases' too), each joined into one line.
    Read from the source only when a schema is made, so loading configs does not parse files."""
    docs: dict[str, str] = {}
    for base in reversed(cls.__mro__):
        if not (isinstance(base, type) and issubclass(base, BaseModel)) or base is BaseModel:
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(base)))
        except (OSError, TypeError, SyntaxError):  # made by create_model: no source
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for field, after in zip(body, body[1:], strict=False):
            if (
                isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                docs[field.target.id] = " ".join(after.value.value.split())
    return docs


def first_sentence(text: str) -> str:
    """`Vocabulary size, including ... tokens.` of a longer description."""
    head, dot, _ = text.partition(". ")
    return head + "." if dot else text


class DescribedSchema(GenerateJsonSchema):
    """pydantic's schema with field docstrings as descriptions and no generated titles (editors
    show the description; a title only repeats the key)."""

    def function_before_schema(self, schema):
        """A registry's field (`Registry.parse` before any value) refers to that registry's schema."""
        function = schema["function"]["function"]
        registry = getattr(function, "__self__", None)
        if isinstance(registry, Registry) and function.__name__ == "parse":
            # Wrapped: pydantic looks up a field's bare `$ref` among the definitions it made itself.
            return {"allOf": [{"$ref": REGISTRY_REF.format(listing=registry.listing)}]}
        return super().function_before_schema(schema)

    def model_schema(self, schema):
        json_schema = super().model_schema(schema)
        docs = attribute_docs(schema["cls"])
        for name, prop in json_schema.get("properties", {}).items():
            prop.pop("title", None)
            if name in docs:
                prop.setdefault("description", docs[name])
        return json_schema


def model_schema(model: type[BaseModel], mode: str = "validation") -> dict:
    """One model's schema, its nested models under `definitions`."""
    schema = model.model_json_schema(ref_template=REF_TEMPLATE, schema_generator=DescribedSchema, mode=mode)
    if "$defs" in schema:
        schema["definitions"] = schema.pop("$defs")
    return schema


def type_text(prop: dict) -> str:
    """A property's schema as a short type for a table: `int > 0`, `path | null`, `'a' | 'b'`."""
    if "anyOf" in prop:
        return " | ".join(dict.fromkeys(type_text(p) for p in prop["anyOf"]))
    if "enum" in prop:
        return " | ".join(repr(v) for v in prop["enum"])
    if "const" in prop:
        return repr(prop["const"])
    kind = prop.get("type")
    if kind == "array":
        return f"list[{type_text(prop.get('items', {}))}]"
    if kind == "string" and prop.get("format") == "path":
        return "path"
    text = {"integer": "int", "number": "float", "boolean": "bool", "string": "str", "null": "null"}.get(kind, "any")
    for key, sign in (("exclusiveMinimum", ">"), ("minimum", ">="), ("exclusiveMaximum", "<"), ("maximum", "<=")):
        if key in prop:
            text += f" {sign} {prop[key]}"
    return text
