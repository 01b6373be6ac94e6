//! The households plugin: switched on per tenant, CRUD for households and members, the
//! household rules as 422s and 409s, events.

use atrium_tests::{assert_problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

async fn user_id(app: &atrium_tests::TestApp, token: &str) -> String {
    let me: Value = app.get_as(token, "/v1/me").await.json().await.unwrap();
    me["user"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_plugin_is_off_until_the_tenant_switches_it_on() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let problem = assert_problem(app.get_as(&t.token, "/v1/households").await, 404, "plugin_disabled").await;
    assert!(problem["detail"].as_str().unwrap().contains("households"));
    let plugins: Value = app.get_as(&t.token, "/v1/plugins").await.json().await.unwrap();
    assert!(
        plugins
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "households" && p["optional"] == true && p["enabled"] == false)
    );
    app.enable_all_plugins(&t).await;
    assert_eq!(app.get_as(&t.token, "/v1/households").await.status(), 200);
    let res = app.send_as(&t.token, Method::PATCH, "/v1/tenant", &json!({"enabled_plugins": ["no_such_plugin"]})).await;
    assert_problem(res, 422, "validation_failed").await;
}

#[tokio::test]
async fn households_and_members_round_trip() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    app.enable_all_plugins(&t).await;
    let res =
        app.send_as(&t.token, Method::POST, "/v1/households", &json!({"name": "Smith Family", "type": "family"})).await;
    assert_eq!(res.status(), 201);
    let household: Value = res.json().await.unwrap();
    let hid = household["id"].as_str().unwrap();
    let members: Value = app.get_as(&t.token, &format!("/v1/households/{hid}/members")).await.json().await.unwrap();
    let primary = members[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(members[0]["role"], "primary");
    assert_eq!(household["primary_contact_id"], primary.as_str());

    let (kid_token, _) = app.add_member(&t, "kid@acme.example", &["customer"]).await;
    let kid_user = user_id(&app, &kid_token).await;
    let body = json!({"user_id": kid_user, "role": "minor", "managed_by": [primary], "relationship": "child", "date_of_birth": "2015-06-01"});
    let res = app.send_as(&t.token, Method::POST, &format!("/v1/households/{hid}/members"), &body).await;
    assert_eq!(res.status(), 201);
    let kid: Value = res.json().await.unwrap();
    let kid_id = kid["id"].as_str().unwrap();
    assert_eq!(kid["relationship"], "child");

    let res = app
        .send_as(
            &t.token,
            Method::PATCH,
            &format!("/v1/households/{hid}/members/{kid_id}"),
            &json!({"role": "adult", "managed_by": [], "can_book_for_others": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["role"], "adult");
    let res =
        app.send_as(&t.token, Method::PATCH, &format!("/v1/households/{hid}"), &json!({"name": "The Smiths"})).await;
    assert_eq!(res.json::<Value>().await.unwrap()["name"], "The Smiths");
    let res = app
        .request(Method::DELETE, &format!("/v1/households/{hid}/members/{kid_id}"))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = app.request(Method::DELETE, &format!("/v1/households/{hid}")).bearer_auth(&t.token).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(app.get_as(&t.token, &format!("/v1/households/{hid}")).await, 404, "not_found").await;

    let log: Value = app.get_as(&t.token, "/v1/audit-log?action=household.member_added").await.json().await.unwrap();
    assert_eq!(log["data"].as_array().unwrap().len(), 2, "each change is audited (and emitted)");
}

#[tokio::test]
async fn the_household_rules_are_422s_and_409s() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    app.enable_all_plugins(&t).await;
    let household: Value = app
        .send_as(&t.token, Method::POST, "/v1/households", &json!({"name": "Jones", "type": "family"}))
        .await
        .json()
        .await
        .unwrap();
    let hid = household["id"].as_str().unwrap();
    let primary = household["primary_contact_id"].as_str().unwrap();
    let (other, _) = app.add_member(&t, "other@acme.example", &["customer"]).await;
    let other_user = user_id(&app, &other).await;
    let path = format!("/v1/households/{hid}/members");

    let stranger = uuid::Uuid::now_v7().to_string();
    let cases = [
        (json!({"user_id": other_user, "role": "minor", "managed_by": [stranger]}), "managed_by[0]"),
        (json!({"user_id": other_user, "role": "dependent"}), "managed_by"),
        (json!({"user_id": other_user, "role": "adult", "date_of_birth": "2999-01-01"}), "date_of_birth"),
        (json!({"user_id": other_user, "role": "chief"}), "role"),
        (json!({"user_id": stranger, "role": "adult"}), "user_id"),
    ];
    for (body, field) in cases {
        let problem =
            assert_problem(app.send_as(&t.token, Method::POST, &path, &body).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    let res = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/households",
            &json!({"name": "X", "type": "family", "company_info": {"industry": "x"}}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;

    // The last primary member stays, and so does the contact.
    let res = app.send_as(&t.token, Method::PATCH, &format!("{path}/{primary}"), &json!({"role": "adult"})).await;
    assert_problem(res, 409, "conflict").await;
    let res = app.request(Method::DELETE, &format!("{path}/{primary}")).bearer_auth(&t.token).send().await.unwrap();
    assert_problem(res, 409, "conflict").await;
    // A user joins a household once.
    let body = json!({"user_id": other_user, "role": "adult"});
    assert_eq!(app.send_as(&t.token, Method::POST, &path, &body).await.status(), 201);
    assert_problem(app.send_as(&t.token, Method::POST, &path, &body).await, 409, "conflict").await;
}
