//! `GET /api/openapi.json`: it documents exactly the routes the app serves (the JSON API's route
//! table and the health routes), it is a valid OpenAPI 3.1 document, and real answers have the
//! fields it declares, so the document cannot drift from the code.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::*;

/// The routes `src/server/startup.rs` registers beside `json_api::endpoints()`.
fn health_routes() -> Vec<(&'static str, Method)> {
    vec![
        ("/api/health", Method::GET),
        ("/api/auth/health", Method::GET),
        ("/healthz", Method::GET),
        ("/readyz", Method::GET),
    ]
}

/// Every JSON route the app serves, as (method, path) with the method in lower case (as the
/// document's path items name them).
fn served_routes() -> BTreeSet<(String, String)> {
    porch::server::json_api::endpoints()
        .into_iter()
        .map(|(path, method, _)| (path, method))
        .chain(health_routes())
        .map(|(path, method)| (method.as_str().to_ascii_lowercase(), path.to_owned()))
        .collect()
}

/// The operations that need a signed-in user (the admin routes also need the admin role).
const SIGNED_IN: &[(&str, &str)] = &[
    ("post", "/api/auth/logout-all"),
    ("get", "/api/auth/profile"),
    ("put", "/api/auth/profile"),
    ("delete", "/api/auth/profile"),
    ("put", "/api/auth/profile/password"),
    ("put", "/api/auth/profile/email"),
    ("post", "/api/auth/email/verification"),
    ("post", "/api/auth/profile/avatar"),
    ("delete", "/api/auth/profile/avatar"),
    ("get", "/api/auth/export"),
    ("get", "/api/auth/sessions"),
    ("get", "/api/auth/sessions/summary"),
    ("delete", "/api/auth/sessions/{id}"),
    ("get", "/api/auth/history"),
    ("get", "/api/auth/security-log"),
    ("post", "/api/auth/reauth"),
    ("post", "/api/auth/totp"),
    ("delete", "/api/auth/totp"),
    ("post", "/api/auth/totp/confirm"),
    ("post", "/api/auth/totp/recovery-codes"),
    ("get", "/api/auth/passkeys"),
    ("post", "/api/auth/passkeys"),
    ("post", "/api/auth/passkeys/options"),
    ("delete", "/api/auth/passkeys/{id}"),
    ("post", "/api/auth/reauth/passkey/options"),
    ("post", "/api/auth/reauth/passkey"),
    ("get", "/api/notices"),
    ("get", "/api/notices/stream"),
    ("put", "/api/admin/users/{id}/role"),
    ("post", "/api/admin/users/{id}/unlock"),
    ("get", "/api/admin/stats"),
    ("get", "/api/admin/users"),
    ("get", "/user"),
];

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

async fn document(app: &TestApp) -> Value {
    let res = app.get("/api/openapi.json").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{:?}",
        res.headers()["content-type"]
    );
    res.json().await.expect("the document is JSON")
}

/// Every (method, path) the document has an operation for.
fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("`paths` is an object");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(move |method| (method.to_string(), path.clone()))
        })
        .collect()
}

fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not documented");
    op
}

#[tokio::test]
async fn every_route_is_documented_and_only_those() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let served = served_routes();
    let documented = documented_operations(&doc);
    let missing: Vec<String> = served
        .difference(&documented)
        .map(|(method, path)| format!("{} {path}", method.to_uppercase()))
        .collect();
    assert!(missing.is_empty(), "routes missing from the document: {missing:?}");
    let stale: Vec<String> = documented
        .difference(&served)
        .map(|(method, path)| format!("{} {path}", method.to_uppercase()))
        .collect();
    assert!(stale.is_empty(), "documented but not served: {stale:?}");
    // The route table has the document itself, and the seeds' routes are there too.
    assert!(served.contains(&("get".into(), "/api/openapi.json".into())));
    assert!(served.contains(&("post".into(), "/user".into())));
}

/// Every `"$ref"` in `value`, with where it was found.
fn refs(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "$ref" {
                    out.push((at.to_owned(), v.as_str().expect("a $ref is a string").to_owned()));
                } else {
                    refs(v, &format!("{at}/{key}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                refs(v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn the_document_is_valid_openapi_3_1() {
    let app = spawn_app().await;
    let text = app.get("/api/openapi.json").await.text().await.unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();

    let spec = oas3::from_json(&text).expect("the document parses as OpenAPI 3.1");
    assert!(spec.openapi.starts_with("3.1"), "openapi = {}", spec.openapi);
    let version = spec.validate_version().expect("a supported OpenAPI version");
    assert_eq!((version.major, version.minor), (3, 1));
    assert_eq!(spec.info.title, "Porch");
    assert_eq!(spec.info.version, env!("CARGO_PKG_VERSION"));

    // Every reference points at a component that exists.
    let mut found = Vec::new();
    refs(&doc, "", &mut found);
    assert!(found.len() > 50, "expected the operations to refer to shared schemas");
    for (at, reference) in &found {
        let pointer = reference
            .strip_prefix('#')
            .filter(|p| p.starts_with("/components/"))
            .unwrap_or_else(|| panic!("{at}: {reference} is not a local component"));
        assert!(doc.pointer(pointer).is_some(), "{at}: {reference} does not resolve");
    }

    // The two ways to be signed in, and the error shape declared once.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["session"]["type"], "apiKey");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "session");
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert!(doc["components"]["schemas"]["ErrorResponse"].is_object());

    let signed_in: BTreeSet<(String, String)> = SIGNED_IN
        .iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    assert!(
        signed_in.is_subset(&served_routes()),
        "the signed-in list names a route that is not served"
    );
    let mut operations = 0;
    for (path, method, op) in spec.operations() {
        operations += 1;
        let name = format!("{method} {path}");
        let raw = op.responses.as_ref().map_or(0, |r| r.len());
        assert!(raw > 0, "{name} has no response");
        let responses = op.responses(&spec);
        assert_eq!(responses.len(), raw, "{name}: a response does not resolve");
        op.request_body(&spec)
            .unwrap_or_else(|e| panic!("{name}: request body does not resolve: {e}"));
        for (status, response) in &responses {
            assert!(
                !response.description.as_deref().unwrap_or_default().is_empty(),
                "{name} {status} has no description"
            );
            for (media, content) in &response.content {
                content
                    .schema(&spec)
                    .unwrap_or_else(|e| panic!("{name} {status} {media}: schema does not resolve: {e}"));
            }
            // Every error answer is the app's one error shape (but a health route's 503, which
            // is its report with a status that load balancers read).
            let health = health_routes().iter().any(|(p, _)| *p == path);
            if (status.starts_with('4') || status.starts_with('5')) && !health {
                let json = &doc["paths"][&path][method.as_str().to_ascii_lowercase()]["responses"][status]["content"]
                    ["application/json"]["schema"]["$ref"];
                assert_eq!(
                    json, "#/components/schemas/ErrorResponse",
                    "{name} {status}: not the error shape"
                );
            }
        }

        // Who may call it: a signed-in user only (no empty alternative), or anyone.
        let key = (method.as_str().to_ascii_lowercase(), path.clone());
        let schemes_named: Vec<&String> = op.security.iter().flat_map(|r| r.0.keys()).collect();
        for scheme in &schemes_named {
            assert!(
                schemes.get(scheme.as_str()).is_some(),
                "{name}: no security scheme {scheme}"
            );
        }
        let optional = op.security.is_empty() || op.security.iter().any(|r| r.0.is_empty());
        if signed_in.contains(&key) {
            assert!(
                !optional,
                "{name} needs a signed-in user but names no required security"
            );
            assert!(
                schemes_named.iter().any(|s| *s == "session") && schemes_named.iter().any(|s| *s == "bearer"),
                "{name}: the session cookie or a bearer token"
            );
            let has_401_or_404 = op
                .responses
                .as_ref()
                .is_some_and(|r| r.contains_key("401") || r.contains_key("404"));
            assert!(has_401_or_404, "{name}: what a guest gets is not documented");
        } else {
            assert!(optional, "{name} is open to guests but its security says otherwise");
        }
    }
    assert_eq!(operations, served_routes().len());

    // A guest really is refused by the GET routes said to need a signed-in user (the admin
    // routes answer 404 to anyone but an admin).
    let guest = client();
    for (method, path) in SIGNED_IN.iter().filter(|(method, _)| *method == "get") {
        let status = app.status_of(&guest, path).await;
        let expected = if path.starts_with("/api/admin/") { 404 } else { 401 };
        assert_eq!(status, expected, "{method} {path} as a guest");
    }
}

/// The schema `schema` stands for, its `$ref`s followed.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => resolve(
            doc,
            doc.pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{reference} does not resolve")),
        ),
        None => schema,
    }
}

/// The properties an object schema declares and those it requires, through `allOf` (a
/// flattened field) and `$ref`.
fn declared(doc: &Value, schema: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let schema = resolve(doc, schema);
    let mut properties: BTreeSet<String> = schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let mut required: BTreeSet<String> = schema["required"]
        .as_array()
        .map(|r| r.iter().map(|name| name.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        let (p, r) = declared(doc, part);
        properties.extend(p);
        required.extend(r);
    }
    (properties, required)
}

/// The alternative of a `oneOf` that describes `value` (a nullable field is `oneOf` null or
/// the type), else the schema itself.
fn alternative<'a>(doc: &'a Value, schema: &'a Value, value: &Value) -> &'a Value {
    let schema = resolve(doc, schema);
    match schema["oneOf"].as_array() {
        Some(options) => options
            .iter()
            .find(|o| (o["type"] == "null") == value.is_null())
            .map_or(schema, |o| resolve(doc, o)),
        None => schema,
    }
}

/// Checks `value` against `schema` at every level: an object has only declared properties and
/// every required one; at the top (`exact`), exactly the declared properties.
fn check_fields(doc: &Value, schema: &Value, value: &Value, at: &str, exact: bool) {
    let schema = alternative(doc, schema, value);
    match value {
        Value::Object(map) => {
            let (properties, required) = declared(doc, schema);
            if properties.is_empty() {
                return; // A free-form object (a map).
            }
            let actual: BTreeSet<String> = map.keys().cloned().collect();
            if exact {
                assert_eq!(actual, properties, "{at}: the answer's fields against the document's");
            }
            let undeclared: Vec<_> = actual.difference(&properties).collect();
            assert!(undeclared.is_empty(), "{at}: undocumented fields {undeclared:?}");
            let absent: Vec<_> = required.difference(&actual).collect();
            assert!(absent.is_empty(), "{at}: required fields missing {absent:?}");
            for (key, v) in map {
                let property = property_schema(doc, schema, key).expect("declared");
                check_fields(doc, property, v, &format!("{at}.{key}"), false);
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    check_fields(doc, item, v, &format!("{at}[{i}]"), false);
                }
            }
        }
        _ => {}
    }
}

fn property_schema<'a>(doc: &'a Value, schema: &'a Value, key: &str) -> Option<&'a Value> {
    let schema = resolve(doc, schema);
    schema["properties"].get(key).or_else(|| {
        schema["allOf"]
            .as_array()?
            .iter()
            .find_map(|part| property_schema(doc, part, key))
    })
}

/// Checks a real answer against what the document declares for `method path` and its status.
async fn matches_document(doc: &Value, method: &str, path: &str, res: reqwest::Response) -> Value {
    let status = res.status().as_u16().to_string();
    let response = &operation(doc, method, path)["responses"][&status];
    assert!(
        response.is_object(),
        "{method} {path} answered {status}, which is not documented"
    );
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        response["content"].get(&content_type).is_some()
            || response["content"]
                .get(content_type.split(';').next().unwrap())
                .is_some(),
        "{method} {path} {status}: {content_type} is not documented"
    );
    let body: Value = res.json().await.expect("a JSON answer");
    let schema = &response["content"]["application/json"]["schema"];
    check_fields(doc, schema, &body, &format!("{method} {path} {status}"), true);
    body
}

#[tokio::test]
async fn real_answers_have_the_documented_fields() {
    let app = spawn_app().await;
    let doc = document(&app).await;

    let a = client();
    let email = format!("{}@example.com", unique("oa"));
    let res = register_with(
        &app,
        &a,
        json!({"name": "Ada Lovelace", "email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let body = matches_document(&doc, "post", "/api/auth/register", res).await;
    assert!(body["user"]["avatarUrl"].is_null() && body["token"].is_string());

    let res = a.get(app.url("/api/auth/profile")).send().await.unwrap();
    matches_document(&doc, "get", "/api/auth/profile", res).await;
    let res = a.get(app.url("/api/auth/sessions/summary")).send().await.unwrap();
    let summary = matches_document(&doc, "get", "/api/auth/sessions/summary", res).await;
    assert_eq!(summary["activeSessions"], 1);
    let res = a.get(app.url("/api/auth/sessions")).send().await.unwrap();
    matches_document(&doc, "get", "/api/auth/sessions", res).await;
    let res = a.get(app.url("/api/preferences")).send().await.unwrap();
    matches_document(&doc, "get", "/api/preferences", res).await;
    let res = a
        .post(app.url("/api/session/page"))
        .json(&json!({"page": "/settings"}))
        .send()
        .await
        .unwrap();
    matches_document(&doc, "post", "/api/session/page", res).await;
    let res = a.get(app.url("/api/session")).send().await.unwrap();
    matches_document(&doc, "get", "/api/session", res).await;
    let res = a.get(app.url("/api/auth/export")).send().await.unwrap();
    matches_document(&doc, "get", "/api/auth/export", res).await;
    let res = a.post(app.url("/api/session")).send().await.unwrap();
    matches_document(&doc, "post", "/api/session", res).await;

    // Seed 002's shapes: the user flat, with `updateAt` beside Porch's fields.
    let seed = client();
    let res = seed
        .post(app.url("/user"))
        .json(&json!({"name": "Grace", "email": format!("{}@example.com", unique("oa")), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body = matches_document(&doc, "post", "/user", res).await;
    assert!(body["sessionId"].is_string() && body["user"]["updateAt"].is_string());
    let res = seed.get(app.url("/user")).send().await.unwrap();
    matches_document(&doc, "get", "/user", res).await;

    // The health routes.
    for path in ["/api/health", "/api/auth/health", "/readyz"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        matches_document(&doc, "get", path, res).await;
    }
    let res = app.get("/healthz").await;
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert!(operation(&doc, "get", "/healthz")["responses"]["200"]["content"]["text/plain"].is_object());
    assert_eq!(res.text().await.unwrap(), "ok");

    // Errors: a guest (401), a validation failure with its fields (400), an unknown session (404).
    let guest = client();
    let res = guest.get(app.url("/api/auth/profile")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body = matches_document(&doc, "get", "/api/auth/profile", res).await;
    assert_eq!(body["error"]["code"], "unauthorized");
    let res = register_with(&app, &guest, json!({"name": "", "email": "nope", "password": "x"})).await;
    assert_eq!(res.status(), 400);
    let body = matches_document(&doc, "post", "/api/auth/register", res).await;
    assert!(body["error"]["fields"]["email"].is_string(), "{body}");
    let res = a.delete(app.url("/api/auth/sessions/nope")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    matches_document(&doc, "delete", "/api/auth/sessions/{id}", res).await;
}
