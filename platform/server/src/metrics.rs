//! Request metrics in the Prometheus text format: a counter and a latency histogram per
//! method, route pattern (never the raw path, so ids do not explode the series) and status,
//! and the database statements the requests ran.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 13] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Series {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
    /// Database statements run while answering (BEGIN/COMMIT not counted).
    statements: u64,
}

tokio::task_local! {
    /// Statements the request being answered on this task has run so far.
    static STATEMENTS: Cell<u64>;
}

/// Runs `request` counting the database statements it runs (see [`count_statement`]).
pub async fn counting_statements<F: std::future::Future>(request: F) -> (F::Output, u64) {
    STATEMENTS
        .scope(Cell::new(0), async move {
            let out = request.await;
            (out, STATEMENTS.with(Cell::get))
        })
        .await
}

/// The database connection's metric callback: one more statement for the request on
/// this task, if any (background jobs run none).
pub fn count_statement() {
    let _ = STATEMENTS.try_with(|n| n.set(n.get() + 1));
}

#[derive(Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(String, String, u16), Series>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration, statements: u64) {
        let secs = elapsed.as_secs_f64();
        let Ok(mut series) = self.series.lock() else { return };
        let s = series.entry((method.to_owned(), route.to_owned(), status)).or_default();
        s.count += 1;
        s.sum += secs;
        s.statements += statements;
        for (bucket, le) in s.buckets.iter_mut().zip(BUCKETS) {
            if secs <= le {
                *bucket += 1;
            }
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP atrium_http_requests_total HTTP requests served.\n");
        out.push_str("# TYPE atrium_http_requests_total counter\n");
        let Ok(series) = self.series.lock() else { return out };
        for ((method, route, status), s) in series.iter() {
            let _ = writeln!(
                out,
                "atrium_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
                escape(route),
                s.count
            );
        }
        out.push_str("# HELP atrium_http_request_duration_seconds HTTP request latency.\n");
        out.push_str("# TYPE atrium_http_request_duration_seconds histogram\n");
        for ((method, route, status), s) in series.iter() {
            let labels = format!("method=\"{method}\",route=\"{}\",status=\"{status}\"", escape(route));
            for (count, le) in s.buckets.iter().zip(BUCKETS) {
                let _ = writeln!(out, "atrium_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {count}");
            }
            let _ = writeln!(out, "atrium_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
            let _ = writeln!(out, "atrium_http_request_duration_seconds_sum{{{labels}}} {}", s.sum);
            let _ = writeln!(out, "atrium_http_request_duration_seconds_count{{{labels}}} {}", s.count);
        }
        out.push_str("# HELP atrium_http_request_db_statements_total Database statements run answering requests.\n");
        out.push_str("# TYPE atrium_http_request_db_statements_total counter\n");
        for ((method, route, status), s) in series.iter() {
            let labels = format!("method=\"{method}\",route=\"{}\",status=\"{status}\"", escape(route));
            let _ = writeln!(out, "atrium_http_request_db_statements_total{{{labels}}} {}", s.statements);
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.observe("GET", "/health", 200, Duration::from_micros(300), 0);
        m.observe("GET", "/health", 200, Duration::from_millis(30), 0);
        let text = m.render();
        assert!(text.contains("atrium_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 2"));
        assert!(text.contains("le=\"0.0005\"} 1"), "{text}");
        assert!(text.contains("le=\"0.05\"} 2"), "{text}");
        assert!(text.contains("le=\"+Inf\"} 2"), "{text}");
    }
}
