//! Prometheus metrics: request counts and latencies per route (recorded by a route layer), requests
//! given up before their answer (timed out, or the client went away), plus engine gauges (articles, passages, index points, embedding batches) and feed figures
//! (fetches by outcome, new items, feeds, failing feeds) read at scrape time.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use super::AppState;
use crate::engine::Engine;
use crate::feeds::Feeds;

/// The engine once loaded, shared by the router state and the scrape-time collector.
pub(crate) type EngineSlot = Arc<OnceLock<Arc<Engine>>>;

/// The feed service once started, likewise.
pub(crate) type FeedsSlot = Arc<OnceLock<Arc<Feeds>>>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms … ~33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// A label for any method a client sends: the methods the API knows, or `other`, so that
/// made-up methods cannot grow the label set.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        Method::PUT => "PUT",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// The registry and the metrics it holds.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    abandoned: Family<RouteLabels, Counter>,
}

/// Engine figures read at scrape time: sizes as gauges, running totals as counters.
struct EngineCollector(EngineSlot);

impl std::fmt::Debug for EngineCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EngineCollector")
    }
}

impl Collector for EngineCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(e) = self.0.get() else {
            return Ok(());
        };
        let gauge = |enc: &mut DescriptorEncoder, name: &str, help: &str, v: u64| {
            let g = ConstGauge::new(v as i64);
            g.encode(enc.encode_descriptor(name, help, None, g.metric_type())?)
        };
        let counter = |enc: &mut DescriptorEncoder, name: &str, help: &str, v: u64| {
            let c = ConstCounter::new(v);
            c.encode(enc.encode_descriptor(name, help, None, c.metric_type())?)
        };
        // A store that cannot be read leaves the sizes out rather than reporting zeros.
        if let Ok(s) = e.stats() {
            gauge(&mut enc, "articles", "Articles stored", s.articles)?;
            gauge(&mut enc, "passages", "Passages stored", s.passages)?;
            gauge(
                &mut enc,
                "index_points",
                "Live points in the vector index",
                s.index_points,
            )?;
            counter(&mut enc, "ingests", "Ingest calls served", s.ingests)?;
            counter(
                &mut enc,
                "ingests_cancelled",
                "Ingest calls stopped because their caller had gone",
                s.ingests_cancelled,
            )?;
        }
        let es = e.embed_service().stats();
        counter(
            &mut enc,
            "embed_batches",
            "Embedding batches run",
            es.model.batches,
        )?;
        counter(&mut enc, "embed_texts", "Texts embedded", es.model.texts)?;
        counter(
            &mut enc,
            "embed_queries",
            "Query embeddings",
            es.model.queries,
        )?;
        counter(
            &mut enc,
            "embed_query_cache_hits",
            "Query embeddings answered from the recent-query cache",
            es.query_cache_hits,
        )?;
        counter(
            &mut enc,
            "embed_jobs_cancelled",
            "Bulk embedding jobs dropped unrun or stopped early because their caller had gone",
            es.cancelled,
        )?;
        Ok(())
    }
}

/// Feed figures read at scrape time. The outcome labels are a fixed set (`ok`,
/// `not_modified` and the failure kinds), every one always present.
struct FeedsCollector(FeedsSlot);

impl std::fmt::Debug for FeedsCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FeedsCollector")
    }
}

impl Collector for FeedsCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(feeds) = self.0.get() else {
            return Ok(());
        };
        let counts = feeds.counts();
        let mut family = enc.encode_descriptor(
            "feed_fetches",
            "Feed fetches by outcome",
            None,
            prometheus_client::metrics::MetricType::Counter,
        )?;
        for (outcome, n) in &counts.by_outcome {
            let labels = [("outcome", *outcome)];
            ConstCounter::new(*n).encode(family.encode_family(&labels)?)?;
        }
        let c = ConstCounter::new(counts.items_new);
        c.encode(enc.encode_descriptor(
            "feed_items_new",
            "Feed items new to the store",
            None,
            c.metric_type(),
        )?)?;
        // A store that cannot be read leaves the gauges out rather than reporting zeros.
        if let Ok((all, failing)) = feeds.gauges() {
            for (name, help, v) in [
                ("feeds", "Feeds subscribed", all),
                ("feeds_failing", "Feeds whose last fetch failed", failing),
            ] {
                let g = ConstGauge::new(v as i64);
                g.encode(enc.encode_descriptor(name, help, None, g.metric_type())?)?;
            }
        }
        Ok(())
    }
}

impl Metrics {
    /// A registry whose engine and feed figures come from the slots once they are filled.
    pub(crate) fn new(engine: EngineSlot, feeds: FeedsSlot) -> Self {
        let mut registry = Registry::with_prefix("newsdesk");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        let abandoned = Family::<RouteLabels, Counter>::default();
        registry.register(
            "http_requests_abandoned",
            "HTTP requests given up before they were answered (timed out, or the client went away), by route",
            abandoned.clone(),
        );
        registry.register_collector(Box::new(EngineCollector(engine)));
        registry.register_collector(Box::new(FeedsCollector(feeds)));
        Metrics {
            registry,
            requests,
            latency,
            abandoned,
        }
    }

    fn observe(&self, method: &Method, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method_label(method),
                route: route.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// Counts a request as abandoned when dropped before it was disarmed (its future was dropped:
/// the request timed out or its connection closed).
struct Unanswered {
    state: AppState,
    route: Option<String>,
}

impl Drop for Unanswered {
    fn drop(&mut self) {
        if let Some(route) = self.route.take() {
            self.state
                .metrics()
                .abandoned
                .get_or_create(&RouteLabels { route })
                .inc();
        }
    }
}

/// Route layer: counts and times every matched request, and counts those given up before their
/// answer. Routes are the router's own patterns (`/v1/documents/{id}`), so the label set is
/// fixed.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    let started = Instant::now();
    let mut unanswered = Unanswered {
        state: state.clone(),
        route: Some(route.clone()),
    };
    let resp = next.run(req).await;
    unanswered.route = None;
    state.metrics().observe(
        &method,
        &route,
        resp.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        let m = Metrics::new(Arc::new(OnceLock::new()), Arc::new(OnceLock::new()));
        for name in ["AAAA", "BBBB", "CCCC"] {
            let method = Method::from_bytes(name.as_bytes()).unwrap();
            m.observe(&method, "unmatched", 405, 0.001);
        }
        m.observe(&Method::GET, "/health", 200, 0.001);
        let text = m.render();
        assert!(text.contains(r#"method="other""#), "{text}");
        assert!(!text.contains("AAAA"), "{text}");
        let series = text
            .lines()
            .filter(|l| l.starts_with("newsdesk_http_requests_total{"))
            .count();
        assert_eq!(series, 2, "{text}");
    }
}
