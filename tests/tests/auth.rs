//! Signup, sign-in, refresh rotation, sign-out, and what access tokens must be.

use atrium_tests::{PASSWORD, TEST_JWT_SECRET, assert_problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

fn signup_body(slug: &str, email: &str) -> Value {
    json!({
        "tenant": {"slug": slug, "name": "Acme Salon", "type": "small_business", "timezone": "Europe/Paris", "currency": "EUR"},
        "owner": {"email": email, "password": PASSWORD, "name": "Ana"}
    })
}

#[tokio::test]
async fn signup_creates_the_tenant_and_its_owner_and_signs_in() {
    let app = spawn_app().await;
    let res = app.post_json("/v1/signup", &signup_body("acme-salon", "Ana@Acme.Example")).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["location"], "/v1/tenant");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["tenant"]["slug"], "acme-salon");
    assert_eq!(body["user"]["email"], "ana@acme.example", "emails are stored lower-case");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);

    let me: Value = app.get_as(body["access_token"].as_str().unwrap(), "/v1/me").await.json().await.unwrap();
    assert_eq!(me["roles"], json!(["owner"]));
    assert_eq!(me["tenant"]["id"], body["tenant"]["id"]);
    assert!(me["permissions"].as_array().unwrap().contains(&json!("tenants:members_write")));

    // Sign-in is case-insensitive on the email.
    let res = app
        .post_json(
            "/v1/auth/token",
            &json!({"email": "ANA@acme.example", "password": PASSWORD, "tenant": "acme-salon"}),
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn invalid_signup_lists_every_field_and_writes_nothing() {
    let app = spawn_app().await;
    let body = json!({
        "tenant": {"slug": "Bad Slug", "name": "", "type": "small_business", "timezone": "Mars/Olympus", "currency": "XYZ"},
        "owner": {"email": "not-an-email", "password": "short", "name": "Ana"}
    });
    let problem = assert_problem(app.post_json("/v1/signup", &body).await, 422, "validation_failed").await;
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for field in ["tenant.slug", "tenant.name", "tenant.timezone", "tenant.currency", "owner.email", "owner.password"] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    let problem =
        assert_problem(app.post_json("/v1/signup", &json!({"tenant": {"slug": "x"}})).await, 422, "validation_failed")
            .await;
    assert!(problem["errors"][0]["field"].as_str().unwrap().starts_with("tenant"), "{problem}");
    let bad_type = json!({
        "tenant": {"slug": "acme", "name": "A", "type": "galactic", "timezone": "UTC", "currency": "EUR"},
        "owner": {"email": "a@b.example", "password": PASSWORD, "name": "A"}
    });
    let problem = assert_problem(app.post_json("/v1/signup", &bad_type).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "tenant.type");
    assert_problem(app.get("/v1/public/acme/branding").await, 404, "not_found").await;
}

#[tokio::test]
async fn a_taken_slug_is_409_and_leaves_no_user_behind() {
    let app = spawn_app().await;
    app.signup("acme").await;
    let res = app.post_json("/v1/signup", &signup_body("acme", "someone@else.example")).await;
    assert_problem(res, 409, "conflict").await;
    // The second owner was not created: signing up elsewhere with another password works.
    let res = app.post_json("/v1/signup", &json!({
        "tenant": {"slug": "other", "name": "Other", "type": "individual", "timezone": "UTC", "currency": "USD"},
        "owner": {"email": "someone@else.example", "password": "a different password", "name": "S"}
    })).await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn wrong_credentials_are_401_and_repeated_failures_are_throttled() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    for (email, password, tenant) in [
        (t.owner_email.as_str(), "wrong password!", "acme"),
        ("nobody@acme.example", PASSWORD, "acme"),
        (t.owner_email.as_str(), PASSWORD, "no-such-tenant"),
    ] {
        let res =
            app.post_json("/v1/auth/token", &json!({"email": email, "password": password, "tenant": tenant})).await;
        assert_problem(res, 401, "unauthenticated").await;
    }
    for _ in 0..10 {
        app.post_json(
            "/v1/auth/token",
            &json!({"email": t.owner_email, "password": "wrong password!", "tenant": "acme"}),
        )
        .await;
    }
    let res =
        app.post_json("/v1/auth/token", &json!({"email": t.owner_email, "password": PASSWORD, "tenant": "acme"})).await;
    assert!(res.headers().get("retry-after").is_some());
    assert_problem(res, 429, "rate_limited").await;
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let res = app.post_json("/v1/auth/refresh", &json!({"refresh_token": t.refresh_token})).await;
    assert_eq!(res.status(), 200);
    let second: Value = res.json().await.unwrap();
    assert_ne!(second["refresh_token"], t.refresh_token.as_str());
    assert_eq!(app.get_as(second["access_token"].as_str().unwrap(), "/v1/me").await.status(), 200);

    // Replaying the spent token: refused, and the token it was exchanged for dies too.
    let res = app.post_json("/v1/auth/refresh", &json!({"refresh_token": t.refresh_token})).await;
    assert_problem(res, 401, "unauthenticated").await;
    let res = app.post_json("/v1/auth/refresh", &json!({"refresh_token": second["refresh_token"]})).await;
    assert_problem(res, 401, "unauthenticated").await;

    let res = app.post_json("/v1/auth/refresh", &json!({"refresh_token": "rt_garbage"})).await;
    assert_problem(res, 401, "unauthenticated").await;
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let res = app.post_json("/v1/auth/logout", &json!({"refresh_token": t.refresh_token})).await;
    assert_eq!(res.status(), 204);
    let res = app.post_json("/v1/auth/refresh", &json!({"refresh_token": t.refresh_token})).await;
    assert_problem(res, 401, "unauthenticated").await;
}

mod tokens {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    use jwt::SignWithKey;
    use sha2::Sha256;

    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A JWT assembled by hand, signed with `secret` (HS256) whatever the header says.
    fn forge(header: Value, claims: Value, secret: &str) -> String {
        let signing_input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(signing_input.as_bytes());
        format!("{signing_input}.{}", b64(&mac.finalize().into_bytes()))
    }

    fn now() -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
    }

    #[tokio::test]
    async fn bad_tokens_are_401_and_a_third_party_token_is_accepted() {
        let app = spawn_app().await;
        let t = app.signup("acme").await;
        let me: Value = app.get_as(&t.token, "/v1/me").await.json().await.unwrap();
        let sub = me["user"]["id"].as_str().unwrap().to_owned();
        let claims = |extra: Value| {
            let mut c = json!({"iss": "atrium", "aud": "atrium-api", "sub": sub, "tid": t.id,
                               "iat": now(), "exp": now() + 600, "jti": "j1"});
            for (k, v) in extra.as_object().unwrap() {
                if v.is_null() {
                    c.as_object_mut().unwrap().remove(k);
                } else {
                    c[k] = v.clone();
                }
            }
            c
        };
        let kid = atrium_server::signing_keys::kid_of(&atrium_core::secret::Secret::new(TEST_JWT_SECRET));
        let hs256 = json!({"alg": "HS256", "typ": "JWT", "kid": kid});
        let cases = [
            (
                "alg none",
                format!(
                    "{}.{}.",
                    b64(br#"{"alg":"none","typ":"JWT","kid":"configured"}"#),
                    b64(claims(json!({})).to_string().as_bytes())
                ),
            ),
            ("wrong signature", forge(hs256.clone(), claims(json!({})), "another-secret-another-secret-000000")),
            ("unknown kid", forge(json!({"alg": "HS256", "kid": "k9"}), claims(json!({})), TEST_JWT_SECRET)),
            ("no kid", forge(json!({"alg": "HS256"}), claims(json!({})), TEST_JWT_SECRET)),
            ("missing aud", forge(hs256.clone(), claims(json!({"aud": null})), TEST_JWT_SECRET)),
            ("wrong aud", forge(hs256.clone(), claims(json!({"aud": "other"})), TEST_JWT_SECRET)),
            ("missing iss", forge(hs256.clone(), claims(json!({"iss": null})), TEST_JWT_SECRET)),
            ("wrong iss", forge(hs256.clone(), claims(json!({"iss": "evil"})), TEST_JWT_SECRET)),
            ("expired", forge(hs256.clone(), claims(json!({"exp": now() - 3600})), TEST_JWT_SECRET)),
            ("missing exp", forge(hs256.clone(), claims(json!({"exp": null})), TEST_JWT_SECRET)),
            ("string exp", forge(hs256.clone(), claims(json!({"exp": (now() + 600).to_string()})), TEST_JWT_SECRET)),
            ("HS512", forge(json!({"alg": "HS512", "kid": kid}), claims(json!({})), TEST_JWT_SECRET)),
            ("garbage", "not.a.jwt".to_owned()),
        ];
        for (name, token) in cases {
            let res = app.get_as(&token, "/v1/me").await;
            assert_eq!(res.status(), 401, "{name}");
            assert_problem(res, 401, "unauthenticated").await;
        }
        for header in ["", "Basic abc", "Bearer", "Bearer "] {
            let res = app.request(Method::GET, "/v1/me").header("authorization", header).send().await.unwrap();
            assert_problem(res, 401, "unauthenticated").await;
        }

        // The `jwt` crate (not ours) mints a token with the right key and claims.
        let key: Hmac<Sha256> = Hmac::new_from_slice(TEST_JWT_SECRET.as_bytes()).unwrap();
        let header =
            jwt::Header { algorithm: jwt::AlgorithmType::Hs256, key_id: Some(kid.clone()), ..Default::default() };
        let token = jwt::Token::new(header, claims(json!({}))).sign_with_key(&key).unwrap();
        let res = app.get_as(token.as_str(), "/v1/me").await;
        assert_eq!(res.status(), 200, "a standard HS256 JWT from another library is accepted");
    }
}

#[tokio::test]
async fn tokens_signed_with_a_previous_key_verify_after_rotation() {
    use atrium_core::secret::Secret;
    let old = spawn_app().await;
    let t = old.signup("acme").await;
    // The same database, restarted with a new secret and the old one kept for verification.
    let rotated = atrium_tests::spawn_app_with(
        |c| {
            c.database_url = Secret::new(old.database_url.clone());
            if old.is_postgres() {
                c.migration_database_url = Some(Secret::new(old.owner_database_url.clone()));
            }
            c.jwt_secret = Some(Secret::new("a-brand-new-secret-for-rotation-0001"));
            c.jwt_previous_secrets = vec![Secret::new(TEST_JWT_SECRET)];
        },
        atrium_server::PluginRegistry::compiled().unwrap(),
    )
    .await;
    assert_eq!(rotated.get_as(&t.token, "/v1/me").await.status(), 200, "old tokens verify");
    let fresh = rotated.sign_in(&t.owner_email, "acme").await;
    let fresh = fresh["access_token"].as_str().unwrap();
    assert_eq!(rotated.get_as(fresh, "/v1/me").await.status(), 200);
    assert_problem(old.get_as(fresh, "/v1/me").await, 401, "unauthenticated").await;
}
