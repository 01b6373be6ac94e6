//! E-mail through a real SMTP server (`atrium_tests::smtp`): the booking confirmation
//! with its `.ics` (parsed by Python's `icalendar` when available), the cancellation with
//! its refund, the reminder sent once by two instances, a refused connection that fails
//! no booking and is retried until delivered, password reset and e-mail verification.

use std::time::Duration;

use atrium_server::{Config, PluginRegistry};
use atrium_tests::smtp::{Mail, SmtpSink, parse_with_icalendar};
use atrium_tests::{PASSWORD, TestApp, assert_problem, spawn_app_with};
use chrono::{DateTime, Utc};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

use crate::support::{at, hour_from_now, post, world};

fn mail_config(smtp: &str) -> impl FnOnce(&mut Config) + use<> {
    let smtp = smtp.to_owned();
    move |c: &mut Config| {
        c.smtp_url = Some(atrium_core::secret::Secret::new(smtp));
        c.mail_poll_interval_ms = 50;
        c.mail_retry_schedule_ms = vec![200; 50];
        c.job_intervals_ms.insert("bookings.reminders".into(), 100);
    }
}

async fn app_with_mail(smtp: &str) -> TestApp {
    spawn_app_with(mail_config(smtp), PluginRegistry::compiled().unwrap()).await
}

fn ics_utc(t: &str) -> String {
    DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc).format("%Y%m%dT%H%M%SZ").to_string()
}

/// The unfolded `.ics` lines of a message's calendar part.
fn calendar_lines(m: &Mail) -> (String, Vec<String>, String) {
    let part = m.part("text/calendar").expect("a text/calendar part");
    let ctype = part.header("content-type").unwrap().to_owned();
    let lines = part.body.replace("\r\n ", "").split("\r\n").map(str::to_owned).collect();
    (ctype, lines, part.body)
}

#[tokio::test]
async fn the_confirmation_carries_an_ics_of_the_bookings_instants_and_the_cancellation_its_refund() {
    let sink = SmtpSink::start().await;
    let app = app_with_mail(&sink.url()).await;
    let (t, _, tpl) = world(&app, "mailco").await;
    let branding = json!({"branding": {"display_name": "Mail & Co", "primary_color": "#aa3300",
        "support_email": "help@mailco.example"}});
    let res = app.send_as(&t.token, Method::PATCH, "/v1/tenant", &branding).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    let b = post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(hour_from_now(72))}))
        .await;
    let id = b["id"].as_str().unwrap().to_owned();
    let m = sink.wait_for("confirmation", |m| m.subject().starts_with("Booked:")).await;
    assert_eq!(m.to, std::slice::from_ref(&t.owner_email), "to the one who booked");
    assert!(m.decoded_header("from").contains("Mail & Co"), "{:?}", m.header("from"));
    assert!(m.decoded_header("reply-to").contains("help@mailco.example"), "{:?}", m.header("reply-to"));
    let text = m.part("text/plain").unwrap().body;
    let html = m.part("text/html").unwrap().body;
    assert!(text.contains(&id) && text.contains("help@mailco.example"), "{text}");
    assert!(html.contains("Mail &amp; Co") && html.contains("#aa3300"), "{html}");
    let (ctype, lines, request_ics) = calendar_lines(&m);
    assert!(ctype.contains("method=REQUEST"), "{ctype}");
    let start = format!("DTSTART:{}", ics_utc(b["start"].as_str().unwrap()));
    let end = format!("DTEND:{}", ics_utc(b["end"].as_str().unwrap()));
    for want in ["METHOD:REQUEST", start.as_str(), end.as_str(), "STATUS:CONFIRMED"] {
        assert!(lines.iter().any(|l| l == want), "{want} in {lines:?}");
    }
    assert!(lines.iter().any(|l| l.starts_with(&format!("UID:{id}@"))), "{lines:?}");
    assert!(request_ics.split("\r\n").all(|l| l.len() <= 75));

    let res = app.send_as(&t.token, Method::POST, &format!("/v1/bookings/{id}/cancel"), &json!({})).await;
    let cancelled: Value = res.json().await.unwrap();
    assert_eq!(cancelled["refund_amount"], "100.00");
    let m = sink.wait_for("cancellation", |m| m.subject().starts_with("Cancelled:")).await;
    let text = m.part("text/plain").unwrap().body;
    assert!(text.contains("Refund: 100.00 USD (100 %)"), "{text}");
    let (ctype, lines, cancel_ics) = calendar_lines(&m);
    assert!(ctype.contains("method=CANCEL") && lines.iter().any(|l| l == "STATUS:CANCELLED"), "{ctype} {lines:?}");

    if let Some(parsed) = parse_with_icalendar(&[request_ics, cancel_ics]) {
        let iso = |x: &str| DateTime::parse_from_rfc3339(x).unwrap().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let (start, end) = (iso(b["start"].as_str().unwrap()), iso(b["end"].as_str().unwrap()));
        let uid = lines.iter().find_map(|l| l.strip_prefix("UID:")).unwrap().to_owned();
        assert_eq!(parsed[0], format!("REQUEST {uid} {start} {end} 0 CONFIRMED"));
        assert_eq!(parsed[1], format!("CANCEL {uid} {start} {end} 1 CANCELLED"));
    }
}

#[tokio::test]
async fn the_reminder_goes_once_with_two_instances_on_one_database() {
    let sink = SmtpSink::start().await;
    let app = app_with_mail(&sink.url()).await;
    let sibling = app.spawn_sibling_with(mail_config(&sink.url()), PluginRegistry::compiled().unwrap()).await;
    let (t, _, tpl) = world(&app, "remind").await;
    // Within 24 hours: reminded; three days ahead: not yet.
    let soon =
        post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(hour_from_now(20))}))
            .await;
    post(&sibling, &t.token, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(hour_from_now(72))}))
        .await;
    let id = soon["id"].as_str().unwrap().to_owned();
    sink.wait_for("reminder", |m| m.subject().starts_with("Reminder:")).await;
    // Many more passes of the job, on either instance, add nothing.
    let runs = job_runs(&app).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while job_runs(&app).await < runs + 10 {
        assert!(tokio::time::Instant::now() < deadline, "the reminder job stopped running");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The mail sender's poll (50 ms) is well past too.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reminders: Vec<Mail> = sink.mails().into_iter().filter(|m| m.subject().starts_with("Reminder:")).collect();
    assert_eq!(reminders.len(), 1, "{:#?}", sink.subjects());
    assert!(reminders[0].part("text/plain").unwrap().body.contains(&id));
    assert_eq!(sink.mails().iter().filter(|m| m.subject().starts_with("Booked:")).count(), 2);
}

async fn job_runs(app: &TestApp) -> i64 {
    let db = Database::connect(app.superuser_database_url().as_str()).await.unwrap();
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT runs FROM job_schedules WHERE name = 'bookings.reminders'".to_owned(),
        ))
        .await
        .unwrap();
    db.close().await.ok();
    row.map_or(0, |r| r.try_get::<i64>("", "runs").unwrap())
}

async fn outbox_attempts(app: &TestApp) -> Vec<(i32, bool)> {
    let db = Database::connect(app.superuser_database_url().as_str()).await.unwrap();
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT attempts, sent_at IS NOT NULL AS sent FROM mail_outbox ORDER BY created_at".to_owned(),
        ))
        .await
        .unwrap();
    db.close().await.ok();
    rows.iter().map(|r| (r.try_get("", "attempts").unwrap(), r.try_get("", "sent").unwrap())).collect()
}

#[tokio::test]
async fn a_refused_smtp_connection_fails_no_booking_and_the_mail_is_retried_until_delivered() {
    // A port nothing listens on yet.
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let app = app_with_mail(&format!("smtp://{addr}")).await;
    let (t, _, tpl) = world(&app, "refused").await;
    let res = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/bookings",
            &json!({"service_template_id": tpl, "start": at(hour_from_now(72))}),
        )
        .await;
    assert_eq!(res.status(), 201, "the booking does not wait for mail");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let rows = outbox_attempts(&app).await;
        if rows.iter().any(|(attempts, sent)| *attempts >= 2 && !sent) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no failed attempts recorded: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sink = SmtpSink::start_on(addr).await;
    let m = sink.wait_for("the confirmation, once the server is up", |m| m.subject().starts_with("Booked:")).await;
    assert_eq!(m.to, std::slice::from_ref(&t.owner_email));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !outbox_attempts(&app).await.iter().all(|(_, sent)| *sent) {
        assert!(tokio::time::Instant::now() < deadline, "the outbox does not record the delivery");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(outbox_attempts(&app).await.iter().any(|(attempts, _)| *attempts >= 3), "attempts are counted");
}

fn code_in(m: &Mail, label: &str) -> String {
    let text = m.part("text/plain").unwrap().body;
    let line = text.lines().find_map(|l| l.strip_prefix(label)).unwrap_or_else(|| panic!("{label} in {text}"));
    line.trim().to_owned()
}

#[tokio::test]
async fn password_reset_works_once_within_thirty_minutes_and_says_nothing_of_unknown_emails() {
    let sink = SmtpSink::start().await;
    let app = app_with_mail(&sink.url()).await;
    let t = app.signup("resetco").await;
    let lea = app.register_customer(&t.slug, "lea@example.com").await;
    let old_refresh = lea["refresh_token"].as_str().unwrap().to_owned();

    let ask = |email: &'static str| {
        let app = &app;
        let slug = t.slug.clone();
        async move { app.post_json("/v1/auth/password-reset", &json!({"email": email, "tenant": slug})).await }
    };
    let known = ask("lea@example.com").await;
    let (known_status, known_body) = (known.status(), known.text().await.unwrap());
    let unknown = ask("nobody@example.com").await;
    assert_eq!((unknown.status(), unknown.text().await.unwrap()), (known_status, known_body.clone()));
    assert_eq!(known_status, 202);
    // Not a member of this tenant: the same answer too.
    let other = app.post_json("/v1/auth/password-reset", &json!({"email": t.owner_email, "tenant": "nope-nope"})).await;
    assert_eq!((other.status(), other.text().await.unwrap()), (known_status, known_body));

    let m = sink.wait_for("reset mail", |m| m.subject().starts_with("Reset your password")).await;
    assert_eq!(m.to, ["lea@example.com"]);
    let token = code_in(&m, "Your reset code: ");
    assert!(app.find_text_in_database(&token).await.is_empty(), "only the hash is kept, the outbox is wiped");

    let new_password = "a brand new passphrase";
    let confirm = |token: String| {
        let app = &app;
        async move {
            app.post_json("/v1/auth/password-reset/confirm", &json!({"token": token, "new_password": new_password}))
                .await
        }
    };
    assert_eq!(confirm(token.clone()).await.status(), 204);
    assert_problem(confirm(token).await, 422, "validation_failed").await;
    assert_problem(confirm("garbage".into()).await, 422, "validation_failed").await;

    let sign_in = |password: &'static str| {
        let app = &app;
        let slug = t.slug.clone();
        async move {
            app.post_json("/v1/auth/token", &json!({"email": "lea@example.com", "password": password, "tenant": slug}))
                .await
                .status()
        }
    };
    assert_eq!(sign_in(PASSWORD).await, 401, "the old password no longer works");
    assert_eq!(sign_in(new_password).await, 200);
    let refreshed = app.post_json("/v1/auth/refresh", &json!({"refresh_token": old_refresh})).await;
    assert_eq!(refreshed.status(), 401, "sessions from before the reset end");
    let log: Value = app.get_as(&t.token, "/v1/audit-log?action=user.password_changed").await.json().await.unwrap();
    assert_eq!(log["data"].as_array().unwrap().len(), 1, "{log}");

    // An expired token fails.
    assert_eq!(ask("lea@example.com").await.status(), 202);
    let second = wait_for_nth(&sink, "Reset your password", 2).await;
    let token = code_in(&second, "Your reset code: ");
    let db = Database::connect(app.superuser_database_url().as_str()).await.unwrap();
    let backend = db.get_database_backend();
    let past: DateTime<Utc> = Utc::now() - chrono::Duration::minutes(1);
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        "UPDATE account_tokens SET expires_at = $1 WHERE used_at IS NULL AND purpose = 'password_reset'",
        [past.into()],
    ))
    .await
    .unwrap();
    db.close().await.ok();
    assert_problem(confirm(token).await, 422, "validation_failed").await;
}

async fn wait_for_nth(sink: &SmtpSink, subject: &str, n: usize) -> Mail {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let found: Vec<Mail> = sink.mails().into_iter().filter(|m| m.subject().starts_with(subject)).collect();
        if found.len() >= n {
            return found[n - 1].clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "{n} × {subject}: {:#?}", sink.subjects());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_customers_email_verification_code_works_once() {
    let sink = SmtpSink::start().await;
    let app = app_with_mail(&sink.url()).await;
    let t = app.signup("verifyco").await;
    app.register_customer(&t.slug, "max@example.com").await;
    let m = sink.wait_for("verification", |m| m.subject().starts_with("Confirm your e-mail")).await;
    assert_eq!(m.to, ["max@example.com"]);
    let token = code_in(&m, "Your confirmation code: ");
    let path = format!("/v1/public/{}/customers/verify-email", t.slug);
    assert_eq!(app.post_json(&path, &json!({"token": token})).await.status(), 204);
    assert_problem(app.post_json(&path, &json!({"token": token})).await, 422, "validation_failed").await;
    // Another tenant's address does not take it either.
    let other = app.signup("verifyco-two").await;
    let path = format!("/v1/public/{}/customers/verify-email", other.slug);
    assert_problem(app.post_json(&path, &json!({"token": token})).await, 422, "validation_failed").await;
}
