//! Roles and permissions: built-in and custom roles, changes taking effect at once,
//! no escalation, the last owner, and roles confined to their tenant.

use atrium_tests::{assert_problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn staff_cannot_manage_members() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let (staff, _) = app.add_member(&t, "staff@acme.example", &["staff"]).await;
    assert_problem(app.get_as(&staff, "/v1/members").await, 403, "forbidden").await;
    let res =
        app.send_as(&staff, Method::POST, "/v1/members", &json!({"email": "x@acme.example", "roles": ["staff"]})).await;
    assert_problem(res, 403, "forbidden").await;
    assert_eq!(app.get_as(&staff, "/v1/tenant").await.status(), 200, "staff still reads the tenant");
}

#[tokio::test]
async fn a_custom_role_grants_exactly_its_permissions() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let res = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/roles",
            &json!({"name": "front_desk", "permissions": ["tenants:members_read", "tenants:read"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let (desk, _) = app.add_member(&t, "desk@acme.example", &["front_desk"]).await;
    let me: Value = app.get_as(&desk, "/v1/me").await.json().await.unwrap();
    assert_eq!(me["permissions"], json!(["tenants:members_read", "tenants:read"]));
    assert_eq!(app.get_as(&desk, "/v1/members").await.status(), 200);
    assert_problem(app.get_as(&desk, "/v1/audit-log").await, 403, "forbidden").await;
    let res = app
        .send_as(&desk, Method::POST, "/v1/locations", &json!({"name": "X", "type": "virtual", "timezone": "UTC"}))
        .await;
    assert_problem(res, 403, "forbidden").await;
}

#[tokio::test]
async fn changing_roles_takes_effect_on_the_next_request() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let res = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/roles",
            &json!({"name": "auditor", "permissions": ["tenants:audit_read"]}),
        )
        .await;
    let role: Value = res.json().await.unwrap();
    let (member, membership) = app.add_member(&t, "m@acme.example", &["admin"]).await;
    assert_eq!(app.get_as(&member, "/v1/members").await.status(), 200);

    let res = app
        .send_as(&t.token, Method::PATCH, &format!("/v1/members/{membership}"), &json!({"roles": ["customer"]}))
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(app.get_as(&member, "/v1/members").await, 403, "forbidden").await;

    // Changing a custom role's permissions applies to its holders at once too.
    app.send_as(&t.token, Method::PATCH, &format!("/v1/members/{membership}"), &json!({"roles": ["auditor"]})).await;
    assert_eq!(app.get_as(&member, "/v1/audit-log").await.status(), 200);
    let id = role["id"].as_str().unwrap();
    let res = app
        .send_as(&t.token, Method::PATCH, &format!("/v1/roles/{id}"), &json!({"permissions": ["tenants:read"]}))
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(app.get_as(&member, "/v1/audit-log").await, 403, "forbidden").await;

    // A held role cannot be deleted; removing the member revokes their access.
    assert_problem(
        app.request(Method::DELETE, &format!("/v1/roles/{id}")).bearer_auth(&t.token).send().await.unwrap(),
        409,
        "conflict",
    )
    .await;
    let res =
        app.request(Method::DELETE, &format!("/v1/members/{membership}")).bearer_auth(&t.token).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(app.get_as(&member, "/v1/me").await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn a_role_in_one_tenant_grants_nothing_in_another() {
    let app = spawn_app().await;
    let a = app.signup("alpha").await;
    let b = app.signup("beta").await;
    // The owner of A is only a customer in B.
    app.send_as(&b.token, Method::POST, "/v1/members", &json!({"email": a.owner_email, "roles": ["customer"]})).await;
    let invitation: Value = app
        .send_as(&b.token, Method::POST, "/v1/members", &json!({"email": "other@x.example", "roles": ["customer"]}))
        .await
        .json()
        .await
        .unwrap();
    assert!(invitation["token"].is_string());
    let members: Value = app.get_as(&b.token, "/v1/members").await.json().await.unwrap();
    assert_eq!(members["data"].as_array().unwrap().len(), 1, "invitations are not members yet");

    let (customer_in_b, _) = app.add_member(&b, "c@beta.example", &["customer"]).await;
    assert_problem(app.get_as(&customer_in_b, "/v1/members").await, 403, "forbidden").await;
    // A's owner token says tenant A: it reads A only.
    let tenant: Value = app.get_as(&a.token, "/v1/tenant").await.json().await.unwrap();
    assert_eq!(tenant["id"], a.id.as_str());
    let res = app
        .post_json("/v1/auth/token", &json!({"email": a.owner_email, "password": a.password, "tenant": "beta"}))
        .await;
    assert_problem(res, 401, "unauthenticated").await;
}

#[tokio::test]
async fn the_last_owner_cannot_be_removed_or_demoted() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let members: Value = app.get_as(&t.token, "/v1/members").await.json().await.unwrap();
    let owner = members["data"][0]["id"].as_str().unwrap().to_owned();
    let res = app.send_as(&t.token, Method::PATCH, &format!("/v1/members/{owner}"), &json!({"roles": ["admin"]})).await;
    assert_problem(res, 409, "conflict").await;
    let res = app.request(Method::DELETE, &format!("/v1/members/{owner}")).bearer_auth(&t.token).send().await.unwrap();
    assert_problem(res, 409, "conflict").await;

    // With a second owner, the first can step down.
    let (_, second) = app.add_member(&t, "co@acme.example", &["owner"]).await;
    assert!(!second.is_empty());
    let res = app.send_as(&t.token, Method::PATCH, &format!("/v1/members/{owner}"), &json!({"roles": ["admin"]})).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn nobody_grants_what_they_do_not_hold() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let (admin, _) = app.add_member(&t, "admin@acme.example", &["admin"]).await;
    let res =
        app.send_as(&admin, Method::POST, "/v1/members", &json!({"email": "x@acme.example", "roles": ["owner"]})).await;
    assert_problem(res, 403, "forbidden").await;
    let (manager, _) = app.add_member(&t, "mgr@acme.example", &["manager"]).await;
    assert!(!manager.is_empty());
}

#[tokio::test]
async fn fields_the_caller_may_not_set_are_rejected() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    for body in [
        json!({"tenant_id": "00000000-0000-0000-0000-000000000000"}),
        json!({"id": "00000000-0000-0000-0000-000000000000"}),
        json!({"slug": "other"}),
        json!({"status": "active"}),
        json!({"plan": {"rate_limit_per_minute": 1000000, "seats": 1000}}),
        json!({"name": "Fine", "version": 99}),
    ] {
        let res = app.send_as(&t.token, Method::PATCH, "/v1/tenant", &body).await;
        assert_problem(res, 422, "validation_failed").await;
    }
    let res = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/members",
            &json!({"email": "x@acme.example", "roles": ["staff"], "tenant_id": t.id}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .send_as(&t.token, Method::POST, "/v1/roles", &json!({"name": "r", "permissions": [], "builtin": true}))
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let tenant: Value = app.get_as(&t.token, "/v1/tenant").await.json().await.unwrap();
    assert_eq!(tenant["version"], 1, "nothing was applied");
}

#[tokio::test]
async fn tenant_settings_update_with_if_match_and_are_audited() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let res = app.get_as(&t.token, "/v1/tenant").await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let body = json!({"name": "Acme Spa", "branding": {"display_name": "Acme", "primary_color": "#112233"},
                      "custom_domains": ["Book.Acme.Example"]});
    let res = app
        .as_token(Method::PATCH, "/v1/tenant", &t.token)
        .header("if-match", "\"41\"")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    let res =
        app.as_token(Method::PATCH, "/v1/tenant", &t.token).header("if-match", etag).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let tenant: Value = res.json().await.unwrap();
    assert_eq!(tenant["custom_domains"], json!(["book.acme.example"]));
    assert_eq!(tenant["version"], 2);

    let branding: Value = app.get("/v1/public/acme/branding").await.json().await.unwrap();
    assert_eq!(branding["branding"]["display_name"], "Acme");
    // Listed, not yet proven by DNS: the host shows no tenant (security_14 tests the proof).
    let res = app.request(Method::GET, "/v1/public/branding").header("host", "book.acme.example").send().await.unwrap();
    assert_eq!(res.status(), 404);

    let bad = json!({"branding": {"primary_color": "red", "logo_url": "http://insecure"}, "timezone": "Nowhere/Land"});
    let problem =
        assert_problem(app.send_as(&t.token, Method::PATCH, "/v1/tenant", &bad).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 3, "{problem}");

    let log: Value = app.get_as(&t.token, "/v1/audit-log?action=tenant.updated").await.json().await.unwrap();
    let entry = &log["data"][0];
    assert_eq!(entry["before"]["name"], "Tenant acme");
    assert_eq!(entry["after"]["name"], "Acme Spa");
    assert!(entry["request_id"].is_string());
    assert_eq!(entry["client_ip"], "127.0.0.1");
}

#[tokio::test]
async fn a_role_change_on_one_instance_applies_on_the_others() {
    let app = spawn_app().await;
    if !app.is_postgres() {
        eprintln!("skipped: instances share policy changes through PostgreSQL NOTIFY");
        return;
    }
    let t = app.signup("acme").await;
    let (member, membership) = app.add_member(&t, "m@acme.example", &["admin"]).await;
    let other = app.spawn_sibling().await;
    assert_eq!(other.get_as(&member, "/v1/members").await.status(), 200, "the other instance caches the grant");

    let res = app
        .send_as(&t.token, Method::PATCH, &format!("/v1/members/{membership}"), &json!({"roles": ["customer"]}))
        .await;
    assert_eq!(res.status(), 200);
    // NOTIFY is delivered asynchronously; it arrives within milliseconds.
    let mut status = 0;
    for _ in 0..50 {
        status = other.get_as(&member, "/v1/members").await.status().as_u16();
        if status == 403 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, 403, "the other instance dropped its cached decision");
}

#[tokio::test]
async fn the_plans_seats_bound_members_and_invitations() {
    let app =
        atrium_tests::spawn_app_with(|c| c.signup_seats = 2, atrium_server::PluginRegistry::compiled().unwrap()).await;
    let t = app.signup("acme").await;
    app.add_member(&t, "second@acme.example", &["staff"]).await;
    let res = app
        .send_as(&t.token, Method::POST, "/v1/members", &json!({"email": "third@acme.example", "roles": ["staff"]}))
        .await;
    let problem = assert_problem(res, 409, "conflict").await;
    assert!(problem["detail"].as_str().unwrap().contains("seats"), "{problem}");
}
