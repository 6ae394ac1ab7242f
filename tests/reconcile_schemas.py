"""JSON Schemas of the W3C Reconciliation Service API 0.2 responses, written from the specification text
(https://www.w3.org/community/reports/reconciliation/CG-FINAL-specs-0.2-20230410/), sections on the
service manifest, reconciliation queries and candidates, suggest, preview and data extension."""

from __future__ import annotations

_ID_NAME = {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}}, "required": ["id"]}
_SERVICE = {
    "type": "object",
    "properties": {
        "service_url": {"type": "string", "pattern": "^https?://"},
        "service_path": {"type": "string"},
        "flyout_service_url": {"type": "string"},
        "flyout_service_path": {"type": "string", "pattern": r".*\$\{id\}.*"},
    },
}
_TEMPLATE = {"type": "string", "pattern": r".*\{\{id\}\}.*"}

MANIFEST = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "versions": {"type": "array", "items": {"type": "string"}, "contains": {"const": "0.2"}},
        "name": {"type": "string", "minLength": 1},
        "identifierSpace": {"type": "string", "pattern": "^https?://"},
        "schemaSpace": {"type": "string", "pattern": "^https?://"},
        "documentation": {"type": "string"},
        "serviceVersion": {"type": "string"},
        "defaultTypes": {"type": "array", "items": {**_ID_NAME, "required": ["id", "name"]}, "uniqueItems": True},
        "view": {"type": "object", "properties": {"url": _TEMPLATE}, "required": ["url"]},
        "preview": {
            "type": "object",
            "properties": {"url": _TEMPLATE, "width": {"type": "integer"}, "height": {"type": "integer"}},
            "required": ["url", "width", "height"],
        },
        "suggest": {"type": "object", "properties": {"entity": _SERVICE, "type": _SERVICE, "property": _SERVICE}},
        "extend": {
            "type": "object",
            "properties": {
                "propose_properties": {
                    "type": "object",
                    "properties": {"service_url": {"type": "string"}, "service_path": {"type": "string"}},
                    "required": ["service_url", "service_path"],
                },
                "property_settings": {"type": "array"},
            },
        },
    },
    "required": ["versions", "name", "identifierSpace", "schemaSpace"],
}

QUERY_BATCH = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "type": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "limit": {"type": "integer", "minimum": 1},
            "properties": {
                "type": "array",
                "items": {"type": "object", "properties": {"pid": {"type": "string"}, "v": {}}, "required": ["pid", "v"]},
            },
            "type_strict": {"enum": ["any", "all", "should"]},
        },
        "required": ["query"],
    },
}

_CANDIDATE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "score": {"type": "number"},
        "match": {"type": "boolean"},
        "type": {"type": "array", "items": {"oneOf": [_ID_NAME, {"type": "string"}]}},
        "features": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "value": {"type": ["boolean", "number"]}}}},
    },
    "required": ["id", "name", "score"],
}
RESULT = {"type": "object", "properties": {"result": {"type": "array", "items": _CANDIDATE}}, "required": ["result"]}
RESULT_BATCH = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "additionalProperties": RESULT}

SUGGEST = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "result": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"}},
                "required": ["id", "name"],
            },
        }
    },
    "required": ["result"],
}

PROPOSE_PROPERTIES = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "limit": {"type": "integer"},
        "properties": {"type": "array", "items": {**_ID_NAME, "required": ["id", "name"]}},
    },
    "required": ["properties"],
}

_DATE = r"^(-?(?:[1-9][0-9]*)?[0-9]{4})-(1[0-2]|0[1-9])-(3[01]|0[1-9]|[12][0-9])T(2[0-3]|[01][0-9]):([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?(Z|[+-](?:2[0-3]|[01][0-9]):[0-5][0-9])?$"
_VALUE = {
    "oneOf": [
        {"type": "object", "additionalProperties": False},
        {
            "type": "object",
            "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"}},
            "required": ["id", "name"],
            "additionalProperties": False,
        },
        {"type": "object", "properties": {"str": {"type": "string"}}, "required": ["str"], "additionalProperties": False},
        {"type": "object", "properties": {"float": {"type": "number"}}, "required": ["float"], "additionalProperties": False},
        {"type": "object", "properties": {"int": {"type": "integer"}}, "required": ["int"], "additionalProperties": False},
        {"type": "object", "properties": {"bool": {"type": "boolean"}}, "required": ["bool"], "additionalProperties": False},
        {"type": "object", "properties": {"date": {"type": "string", "pattern": _DATE}}, "required": ["date"], "additionalProperties": False},
    ]
}
EXTEND_RESPONSE = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "meta": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "type": _ID_NAME}, "required": ["id", "name"]}},
        "rows": {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": {"type": "array", "items": _VALUE}}},
    },
    "required": ["meta", "rows"],
}
