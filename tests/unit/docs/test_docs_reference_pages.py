"""The docs build hook renders the API reference from openapi.json and the parameters from template.yaml."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("openapi_reference", ROOT / "docs/hooks/openapi_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_operation_of_the_committed_document_has_an_entry() -> None:
    # GIVEN the committed OpenAPI document
    spec = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))
    expected = {
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    # WHEN the operations page is rendered
    page = _hook().render_api(spec)
    # THEN each operation has its own heading, and each schema it names links to an entry on the schemas page
    assert set(re.findall(r"^### `([A-Z]+ [^`]+)`$", page, flags=re.MULTILINE)) == expected
    schemas_page = _hook().render_schemas(spec)
    anchors = set(re.findall(r"\{#(schema-[a-z0-9-]+)\}", schemas_page))
    linked = set(re.findall(r"\(schemas\.md#(schema-[a-z0-9-]+)\)", page))
    assert linked and linked <= anchors
    assert len(anchors) == len(spec["components"]["schemas"])


def test_a_schema_entry_lists_its_fields_with_types_and_required_marks() -> None:
    # GIVEN a document with one schema that references another
    spec = {
        "paths": {},
        "components": {
            "schemas": {
                "Reply": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {
                        "text": {"type": "string", "description": "The ``answer`` | shown"},
                        "sources": {"type": "array", "items": {"$ref": "#/components/schemas/Source"}},
                        "score": {"anyOf": [{"type": "number"}, {"type": "null"}]},
                    },
                },
                "Source": {"type": "object", "properties": {}},
            }
        },
    }
    # WHEN it is rendered
    page = _hook().render_schemas(spec)
    # THEN the fields are rows: types (links for references), required marks, escaped descriptions
    assert "| `text` | string | yes | The `answer` \\| shown |" in page
    assert "| `sources` | array of [Source](#schema-source) | no |" in page
    assert "| `score` | number or null | no |" in page


def test_every_template_parameter_is_listed_with_its_default() -> None:
    # GIVEN template.yaml, read with CloudFormation's short-form tags
    hook = _hook()
    template = hook.yaml.load((ROOT / "template.yaml").read_text(encoding="utf-8"), Loader=hook._TemplateLoader)
    # WHEN the parameters page is rendered
    page = hook.render_parameters(template)
    # THEN it has one row per parameter
    rows = re.findall(r"^\| `(\w+)` \|", page, flags=re.MULTILINE)
    assert rows == list(template["Parameters"])
    assert "| `Stage` | String | `dev` |" in page
