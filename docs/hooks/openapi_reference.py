"""MkDocs hook: the reference pages, rendered at every build from the committed ``openapi.json`` and ``template.yaml``.

``reference/api.md`` lists every operation by tag, ``reference/schemas.md`` every schema, and
``reference/parameters.md`` the template's deploy parameters. Nothing is fetched: the pages are plain Markdown
made from the files, so the reference cannot drift from the contract or the template.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no stubs pinned for PyYAML
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi.json"
TEMPLATE = ROOT / "template.yaml"
PARAMETERS_PAGE = "reference/parameters.md"
API_PAGE = "reference/api.md"
SCHEMAS_PAGE = "reference/schemas.md"
SCHEMAS_LINK = "schemas.md"  # from the operations page
METHODS = ("get", "post", "put", "patch", "delete", "head", "options")

Json = dict[str, Any]


def _text(value: object) -> str:
    """One table-safe line: RST double backticks become Markdown code, pipes and angle brackets escaped."""
    line = " ".join(str(value or "").split())
    line = re.sub(r"``([^`]+)``", r"`\1`", line)
    return line.replace("|", "\\|").replace("<", "&lt;")


def _anchor(name: str) -> str:
    return "schema-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def type_of(schema: Json, link: str = "") -> str:
    """A schema's type in a few words; a ``$ref`` becomes a link to its entry on the schemas page."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return f"[{name}]({link}#{_anchor(name)})"
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            parts = [type_of(part, link) for part in schema[key]]
            return " or ".join(part for part in parts if part != "null") + (" or null" if "null" in parts else "")
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}), link)}"
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    return str(kind)


def _parameters(operation: Json) -> list[str]:
    rows = [
        f"| `{p['name']}` | {p['in']} | {type_of(p.get('schema', {}), SCHEMAS_LINK)} | "
        f"{'yes' if p.get('required') else 'no'} | {_text(p.get('description'))} |"
        for p in operation.get("parameters", [])
    ]
    if not rows:
        return []
    return ["| Parameter | In | Type | Required | Description |", "|---|---|---|---|---|", *rows, ""]


def _content_types(content: Json) -> str:
    return ", ".join(f"{type_of(body.get('schema', {}), SCHEMAS_LINK)} (`{kind}`)" for kind, body in content.items())


def _operation(path: str, method: str, operation: Json) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", ""]
    summary = _text(operation.get("summary"))
    lines += [f"**{summary}** · operation id `{operation.get('operationId', '')}`", ""]
    if operation.get("description"):
        lines += [_text(operation["description"]), ""]
    lines += _parameters(operation)
    body = operation.get("requestBody")
    if body:
        required = " (required)" if body.get("required") else ""
        lines += [f"Request body{required}: {_content_types(body.get('content', {}))}", ""]
    lines += ["| Status | Description | Body |", "|---|---|---|"]
    for status, response in operation.get("responses", {}).items():
        body_types = _content_types(response.get("content", {}))
        lines.append(f"| {status} | {_text(response.get('description'))} | {body_types} |")
    return [*lines, ""]


def render_api(spec: Json) -> str:
    """The operations page: one section per tag, one entry per operation, in the document's order."""
    by_tag: dict[str, list[str]] = {}
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                tag = (item[method].get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).extend(_operation(path, method, item[method]))
    info = spec.get("info", {})
    lines = [
        "# API reference",
        "",
        f"Generated at build time from the committed `openapi.json` ({_text(info.get('title'))}, version "
        f"{_text(info.get('version'))}): every operation, its parameters, body and answers. Every 4xx and 5xx "
        f"answer is an [ErrorBody]({SCHEMAS_LINK}#{_anchor('ErrorBody')}). The running API serves the same "
        "document at `GET /api/v1/openapi.json`.",
        "",
    ]
    for tag in sorted(by_tag):
        lines += [f"## {tag.capitalize()}", "", *by_tag[tag]]
    return "\n".join(lines)


def render_schemas(spec: Json) -> str:
    """The schemas page: each schema's fields with type, whether required, and description."""
    lines = ["# API schemas", "", "Generated from the committed `openapi.json`, like the [operations](api.md).", ""]
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        lines += [f"## {name} {{#{_anchor(name)}}}", ""]
        if schema.get("description"):
            lines += [_text(schema["description"]), ""]
        required = set(schema.get("required", []))
        properties = schema.get("properties", {})
        if properties:
            lines += ["| Field | Type | Required | Description |", "|---|---|---|---|"]
            lines += [
                f"| `{field}` | {type_of(spec_field)} | {'yes' if field in required else 'no'} | "
                f"{_text(spec_field.get('description'))} |"
                for field, spec_field in properties.items()
            ]
            lines.append("")
        else:
            lines += [f"Type: {type_of(schema)}", ""]
    return "\n".join(lines)


class _TemplateLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no type stubs here
    """Reads CloudFormation's short-form tags (``!Ref``, ``!Sub``...) as plain values."""


def _cfn_tag(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_TemplateLoader.add_multi_constructor("!", _cfn_tag)


def render_parameters(template: Json) -> str:
    """The deploy parameters page: name, type, default, allowed values and description, in template order."""
    lines = [
        "# Template parameters",
        "",
        "Generated from `template.yaml` at build time. Set them with `sam deploy --parameter-overrides` or a config",
        "env's `parameter_overrides` in `samconfig.toml` ([Deploying to AWS](../operations/deploy.md)).",
        "",
        "| Parameter | Type | Default | Allowed | Description |",
        "|---|---|---|---|---|",
    ]
    for name, spec in template.get("Parameters", {}).items():
        default = spec.get("Default")
        shown = "(empty)" if default == "" else f"`{default}`" if default is not None else "required"
        allowed = ", ".join(f"`{value}`" for value in spec.get("AllowedValues", []))
        lines.append(f"| `{name}` | {spec.get('Type', '')} | {shown} | {allowed} | {_text(spec.get('Description'))} |")
    return "\n".join([*lines, ""])


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated pages to the site (they exist only in the build, never in ``docs/``)."""
    spec: Json = json.loads(SPEC.read_text(encoding="utf-8"))
    files.append(File.generated(config, API_PAGE, content=render_api(spec)))
    files.append(File.generated(config, SCHEMAS_PAGE, content=render_schemas(spec)))
    template: Json = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_TemplateLoader)  # noqa: S506
    files.append(File.generated(config, PARAMETERS_PAGE, content=render_parameters(template)))
    return files
