//! Prometheus metrics: request counts and latencies per route (recorded by a route layer),
//! plus engine gauges (articles, passages, index points, embedding batches) read at scrape time.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use super::AppState;
use crate::engine::Engine;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
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

/// The registry and the metrics it holds.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    articles: Gauge,
    passages: Gauge,
    index_points: Gauge,
    embed_batches: Gauge,
    embed_texts: Gauge,
    embed_queries: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("newsdesk");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let m = Metrics {
            requests: requests.clone(),
            latency: latency.clone(),
            articles: Gauge::default(),
            passages: Gauge::default(),
            index_points: Gauge::default(),
            embed_batches: Gauge::default(),
            embed_texts: Gauge::default(),
            embed_queries: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests,
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency,
        );
        registry.register("articles", "Articles stored", m.articles.clone());
        registry.register("passages", "Passages stored", m.passages.clone());
        registry.register(
            "index_points",
            "Live points in the vector index",
            m.index_points.clone(),
        );
        registry.register(
            "embed_batches",
            "Embedding batches run since start",
            m.embed_batches.clone(),
        );
        registry.register(
            "embed_texts",
            "Texts embedded since start",
            m.embed_texts.clone(),
        );
        registry.register(
            "embed_queries",
            "Query embeddings since start",
            m.embed_queries.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
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

    /// The text exposition, with engine gauges refreshed.
    pub fn render(&self, engine: Option<&Engine>) -> String {
        if let Some(e) = engine {
            let s = e.stats();
            self.articles.set(s.articles as i64);
            self.passages.set(s.passages as i64);
            self.index_points.set(s.index_points as i64);
            let es = e.embed_service().stats();
            self.embed_batches.set(es.model.batches as i64);
            self.embed_texts.set(es.model.texts as i64);
            self.embed_queries.set(es.model.queries as i64);
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// Route layer: counts and times every matched request.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let started = Instant::now();
    let resp = next.run(req).await;
    state.metrics().observe(
        &method,
        &route,
        resp.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    resp
}
