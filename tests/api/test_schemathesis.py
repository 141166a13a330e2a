"""Property-based requests generated from our own OpenAPI schema (schemathesis, a bounded run of every
operation): whatever the input, no 5xx, on both databases."""
import schemathesis
from hypothesis import HealthCheck, given, settings


def test_no_server_errors(api):
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    seen = []
    for result in schema.get_all_operations():
        op = result.ok()
        seen.append(f"{op.method.upper()} {op.path}")

        @given(case=op.as_strategy())
        @settings(max_examples=25, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.headers = {**dict(case.headers or {}), **api.h("admin")}
            response = case.call()
            assert response.status_code < 500, (case.method, case.path, case.path_parameters, case.query,
                                                 response.status_code, response.text[:300])

        run()
    assert "POST /v1/mentions" in seen and "GET /v1/themes" in seen and len(seen) >= 20
