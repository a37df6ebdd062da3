"""The OpenAPI document: valid, complete, and honest about authentication and errors."""

import re

from openapi_spec_validator import validate

API = "/api/v1"


def _spec(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_openapi_document_is_valid_openapi_3(client):
    spec = _spec(client)
    assert spec["openapi"] == "3.0.3"
    validate(spec)


def test_openapi_lists_every_api_route_and_method(app, client):
    spec = _spec(client)
    documented = {
        (path, method.upper())
        for path, operations in spec["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(f"{API}/") or rule.endpoint.startswith("api-docs."):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served
    expected = {
        ("/api/v1/projects", "GET"),
        ("/api/v1/projects", "POST"),
        ("/api/v1/projects/{slug}", "GET"),
        ("/api/v1/projects/{slug}/items", "GET"),
        ("/api/v1/projects/{slug}/items", "POST"),
        ("/api/v1/projects/{slug}/items/{external_id}", "GET"),
        ("/api/v1/projects/{slug}/items/{external_id}/discussions", "GET"),
        ("/api/v1/projects/{slug}/items/{external_id}/discussions", "POST"),
        ("/api/v1/projects/{slug}/boards", "GET"),
        ("/api/v1/projects/{slug}/boards", "POST"),
        ("/api/v1/boards/{board_id}", "GET"),
        ("/api/v1/boards/{board_id}/discussions", "GET"),
        ("/api/v1/boards/{board_id}/discussions", "POST"),
        ("/api/v1/discussions/{discussion_id}", "GET"),
        ("/api/v1/discussions/{discussion_id}/comments", "GET"),
        ("/api/v1/discussions/{discussion_id}/comments", "POST"),
        ("/api/v1/comments/{comment_id}", "GET"),
        ("/api/v1/comments/{comment_id}", "PATCH"),
        ("/api/v1/comments/{comment_id}", "DELETE"),
        ("/api/v1/users/{username}", "GET"),
        ("/api/v1/projects/{slug}/members", "GET"),
        ("/api/v1/projects/{slug}/members/{username}", "PUT"),
        ("/api/v1/projects/{slug}/members/{username}", "DELETE"),
    }
    assert expected <= documented


def test_openapi_documents_bearer_auth_and_the_error_shape(client):
    spec = _spec(client)
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerAuth"]["description"],
    }
    assert {"bearerAuth": []} in spec["security"]
    error = spec["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["$ref"] == "#/components/schemas/ErrorDetail"
    detail = spec["components"]["schemas"]["ErrorDetail"]["properties"]
    assert set(detail) == {"code", "message", "fields"}
    default = spec["components"]["responses"]["DEFAULT_ERROR"]
    assert default["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"


def test_openapi_request_schemas_carry_their_limits(client):
    schemas = _spec(client)["components"]["schemas"]
    batch = schemas["ItemBatch"]["properties"]["items"]
    assert (batch["minItems"], batch["maxItems"]) == (1, 1000)
    row = schemas["ItemRow"]
    assert row["required"] == ["external_id"]
    assert row["properties"]["external_id"]["maxLength"] == 200
    assert row["additionalProperties"] is False


def test_openapi_documents_page_parameters(client):
    parameters = _spec(client)["paths"]["/api/v1/projects"]["get"]["parameters"]
    by_name = {p["name"]: p for p in parameters}
    assert by_name["limit"]["in"] == "query"
    assert (by_name["limit"]["schema"]["minimum"], by_name["limit"]["schema"]["maximum"]) == (
        1,
        100,
    )
    assert by_name["cursor"]["schema"]["type"] == "string"


def test_user_profile_schema_has_no_private_fields(client):
    properties = _spec(client)["components"]["schemas"]["User"]["properties"]
    assert "email" not in properties
    assert not any("password" in name for name in properties)
