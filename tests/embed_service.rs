//! Query/batch consistency and the embedding service: queries on a separate priority path,
//! bounded queues that refuse with `Overloaded`, counters.

use newsdesk::embed::{
    cosine, default_model_dir, EmbedError, EmbedService, EmbedServiceOptions, Embedder,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

fn embedder() -> Arc<Embedder> {
    static E: OnceLock<Arc<Embedder>> = OnceLock::new();
    E.get_or_init(|| Arc::new(Embedder::load(&default_model_dir()).expect("model loads")))
        .clone()
}

/// Real passages: the reference fixture's long texts (SQuAD paragraphs, SciFact abstracts).
fn passages() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/minilm-reference.jsonl"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["word_pieces_with_specials"].as_u64().unwrap() > 100)
        .map(|v| v["text"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn query_and_batch_agree_and_order_is_kept() {
    let e = embedder();
    let ps = passages();
    let mut texts: Vec<&str> = ps.iter().take(20).map(|s| s.as_str()).collect();
    texts.insert(7, "What did SIDBI announce for MSME clusters?");
    texts.push("");
    let batch = e.embed_batch(&texts).unwrap();
    for (i, t) in texts.iter().enumerate() {
        let q = e.embed_query(t).unwrap();
        let c = cosine(&q, &batch[i]);
        assert!(c > 0.99999, "text {i}: query vs batch cosine {c}");
    }
    // Order: each batch vector is closest to its own text's query vector.
    let q7 = e.embed_query(texts[7]).unwrap();
    let best = (0..batch.len())
        .max_by(|&a, &b| cosine(&q7, &batch[a]).total_cmp(&cosine(&q7, &batch[b])))
        .unwrap();
    assert_eq!(best, 7);
}

/// Waits for `ok`, failing the test (not hanging it) if it never comes.
fn wait_for(what: &str, ok: &dyn Fn() -> bool) {
    let t0 = std::time::Instant::now();
    while !ok() {
        std::thread::sleep(std::time::Duration::from_millis(1));
        assert!(t0.elapsed().as_secs() < 120, "gave up waiting for {what}");
    }
}

#[test]
fn a_query_is_answered_while_bulk_jobs_run_and_wait() {
    let service = EmbedService::start(embedder(), EmbedServiceOptions::default());
    let ps = passages();
    // Bulk work is held at a batch boundary, so the jobs below are certainly unfinished (one
    // taken and running, one queued) when the query is asked, however fast the machine is.
    let hold = service.hold_bulk();
    let big: Vec<String> = ps.iter().cycle().take(ps.len() * 2).cloned().collect();
    let n_big = big.len();
    let bulk_done = Arc::new(AtomicBool::new(false));
    let (s2, d2) = (service.clone(), bulk_done.clone());
    let bulk = std::thread::spawn(move || {
        let r = s2.bulk_blocking(big);
        d2.store(true, Ordering::SeqCst);
        r
    });
    wait_for("the big job to start", &|| {
        service.stats().bulk_running == 1
    });
    let small: Vec<String> = ps.iter().take(5).cloned().collect();
    let queued_done = Arc::new(AtomicBool::new(false));
    let (s3, qd) = (service.clone(), queued_done.clone());
    let queued = std::thread::spawn(move || {
        let r = s3.bulk_blocking(small);
        qd.store(true, Ordering::SeqCst);
        r
    });
    wait_for("the small job to queue", &|| {
        service.stats().bulk_queued == 1
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let q = rt
        .block_on(service.query("Which agency convened the cluster consultation?".into()))
        .unwrap();
    assert!(!bulk_done.load(Ordering::SeqCst) && !queued_done.load(Ordering::SeqCst));
    assert_eq!(q.len(), 384);
    let direct = embedder()
        .embed_query("Which agency convened the cluster consultation?")
        .unwrap();
    assert!(cosine(&q, &direct) > 0.99999);
    assert!(service.stats().model.queries >= 1);
    // Released, both jobs complete, in order.
    drop(hold);
    assert_eq!(bulk.join().unwrap().unwrap().len(), n_big);
    assert_eq!(queued.join().unwrap().unwrap().len(), 5);
}

#[test]
fn full_bulk_queue_answers_overloaded_at_once() {
    let service = EmbedService::start(
        embedder(),
        EmbedServiceOptions {
            bulk_queue: 1,
            ..Default::default()
        },
    );
    let job: Vec<String> = passages().to_vec();
    // One job taken and held, one waiting: the queue (of one) is full.
    let hold = service.hold_bulk();
    let mut handles = Vec::new();
    let (s, j) = (service.clone(), job.clone());
    handles.push(std::thread::spawn(move || s.bulk_blocking(j)));
    wait_for("the first job to run", &|| {
        service.stats().bulk_running == 1
    });
    let (s, j) = (service.clone(), job.clone());
    handles.push(std::thread::spawn(move || s.bulk_blocking(j)));
    wait_for("the second job to queue", &|| {
        service.stats().bulk_queued == 1
    });
    // The third is refused while both are still held: it cannot have waited for room.
    let third = service.bulk_blocking(job.clone());
    assert!(matches!(third, Err(EmbedError::Overloaded)), "{third:?}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert!(matches!(
        rt.block_on(service.bulk(job.clone())),
        Err(EmbedError::Overloaded)
    ));
    assert_eq!(service.stats().rejected, 2);
    drop(hold);
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap().len(), job.len());
    }
}

#[test]
fn a_bulk_job_whose_caller_has_gone_is_dropped() {
    // Its own embedder, so that its counters see this test's work only.
    let own = Arc::new(Embedder::load(&default_model_dir()).unwrap());
    let service = EmbedService::start(own, EmbedServiceOptions::default());
    let hold = service.hold_bulk();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let batches_before = service.stats().model.batches;
    // The caller gives up (as an HTTP request that timed out does) while its job is held.
    let gave_up = rt.block_on(async {
        tokio::time::timeout(
            std::time::Duration::from_millis(50),
            service.bulk(passages().to_vec()),
        )
        .await
    });
    assert!(gave_up.is_err(), "the held job cannot have finished");
    wait_for("the job to be taken", &|| service.stats().bulk_running == 1);
    drop(hold);
    wait_for("the job to be dropped", &|| service.stats().cancelled == 1);
    assert_eq!(service.stats().bulk_running, 0);
    assert_eq!(
        service.stats().model.batches,
        batches_before,
        "nothing of it was embedded"
    );
}

#[test]
fn blocking_callers_that_give_up_stop_waiting_and_their_jobs_are_not_run() {
    use tokio_util::sync::CancellationToken;
    // Its own embedder, so that its counters see this test's work only.
    let own = Arc::new(Embedder::load(&default_model_dir()).unwrap());
    let service = EmbedService::start(
        own,
        EmbedServiceOptions {
            bulk_queue: 1,
            ..Default::default()
        },
    );
    let job: Vec<String> = passages().iter().take(8).cloned().collect();
    let texts_before = service.stats().model.texts;
    let hold = service.hold_bulk();
    // One job running (held at its first batch), one queued, one waiting for room.
    let (kept, queued, waiting) = (
        CancellationToken::new(),
        CancellationToken::new(),
        CancellationToken::new(),
    );
    let spawn = |token: &CancellationToken, wait: bool| {
        let (s, j, t) = (service.clone(), job.clone(), token.clone());
        std::thread::spawn(move || s.bulk_blocking_cancellable(j, wait, &t))
    };
    let running = spawn(&kept, false);
    wait_for("the first job to run", &|| {
        service.stats().bulk_running == 1
    });
    let second = spawn(&queued, false);
    wait_for("the second job to queue", &|| {
        service.stats().bulk_queued == 1
    });
    let third = spawn(&waiting, true);
    // The one waiting for room stops waiting while bulk work is still held.
    waiting.cancel();
    assert!(matches!(third.join().unwrap(), Err(EmbedError::Cancelled)));
    assert_eq!(service.stats().cancelled, 1);
    // The queued one is dropped unrun once the worker reaches it.
    queued.cancel();
    drop(hold);
    assert_eq!(running.join().unwrap().unwrap().len(), job.len());
    assert!(matches!(second.join().unwrap(), Err(EmbedError::Cancelled)));
    let st = service.stats();
    assert_eq!(st.cancelled, 2);
    assert_eq!(
        st.model.texts - texts_before,
        job.len() as u64,
        "only the job whose caller stayed was embedded"
    );
    assert_eq!((st.bulk_running, st.bulk_queued), (0, 0));
}

#[test]
fn full_query_queue_answers_overloaded() {
    let service = EmbedService::start(
        embedder(),
        EmbedServiceOptions {
            query_queue: 1,
            query_micro_batch: 1,
            ..Default::default()
        },
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let results = rt.block_on(async {
        let futs: Vec<_> = (0..200)
            .map(|i| service.query(format!("question number {i} about MSME clusters")))
            .collect();
        futures_join_all(futs).await
    });
    let overloaded = results
        .iter()
        .filter(|r| matches!(r, Err(EmbedError::Overloaded)))
        .count();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert!(
        overloaded > 0,
        "a 1-slot queue took 200 simultaneous queries"
    );
    assert!(ok > 0);
    assert_eq!(ok + overloaded, 200);
    assert_eq!(service.stats().rejected as usize, overloaded);
}

/// Start every future (each submits on its first poll) before awaiting any of them.
async fn futures_join_all<F: std::future::Future>(futs: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futs.into_iter().map(Box::pin).collect();
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut done: Vec<Option<F::Output>> = Vec::new();
    for p in pinned.iter_mut() {
        done.push(match p.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        });
    }
    let mut outs = Vec::new();
    for (p, d) in pinned.into_iter().zip(done) {
        outs.push(match d {
            Some(v) => v,
            None => p.await,
        });
    }
    outs
}

#[test]
fn counters_count_model_work_only() {
    let e = Arc::new(Embedder::load(&default_model_dir()).unwrap());
    let service = EmbedService::start(e.clone(), EmbedServiceOptions::default());
    assert_eq!(service.stats().model.texts, 0);
    assert_eq!(service.stats().model.batches, 0);
    let v = service
        .bulk_blocking(vec!["one".into(), "two words".into(), String::new()])
        .unwrap();
    assert_eq!(v.len(), 3);
    let s = service.stats();
    assert_eq!(s.model.texts, 3);
    assert_eq!(s.model.queries, 0);
    assert_eq!(s.model.tokens, 3 + 4 + 2);
    assert_eq!(s.bulk_jobs, 1);
    service.query_blocking("three".into()).unwrap();
    let s = service.stats();
    assert_eq!(s.model.texts, 4);
    assert_eq!(s.model.queries, 1);
    // An empty bulk job does no model work.
    assert!(service.bulk_blocking(Vec::new()).unwrap().is_empty());
    assert_eq!(service.stats().model.batches, s.model.batches);
}

#[test]
fn a_query_asked_again_is_answered_from_the_cache_and_a_zero_cache_is_off() {
    let e = Arc::new(Embedder::load(&default_model_dir()).unwrap());
    let opts = EmbedServiceOptions {
        query_cache: 2,
        ..Default::default()
    };
    let service = EmbedService::start(e.clone(), opts);
    let q = "Who chaired the NICDC consultation meeting?";
    let first = service.query_blocking(q.into()).unwrap();
    assert_eq!(service.stats().model.queries, 1);
    let again = service.query_blocking(q.into()).unwrap();
    assert_eq!(again, first);
    let s = service.stats();
    assert_eq!(
        (s.model.queries, s.query_requests, s.query_cache_hits),
        (1, 2, 1)
    );
    // Two newer questions push the first out of a two-entry cache: it is embedded again.
    service
        .query_blocking("What did SIDBI announce?".into())
        .unwrap();
    service
        .query_blocking("When did the meeting take place?".into())
        .unwrap();
    assert_eq!(service.query_blocking(q.into()).unwrap(), first);
    assert_eq!(service.stats().model.queries, 4);
    assert_eq!(service.stats().query_cache_hits, 1);

    let off = EmbedService::start(
        e,
        EmbedServiceOptions {
            query_cache: 0,
            ..Default::default()
        },
    );
    let before = off.stats().model.queries;
    off.query_blocking(q.into()).unwrap();
    off.query_blocking(q.into()).unwrap();
    assert_eq!(off.stats().model.queries - before, 2);
    assert_eq!(off.stats().query_cache_hits, 0);
}

#[test]
fn a_query_embedded_on_one_thread_is_the_same_vector() {
    let e = embedder();
    let qs = [
        "Who chaired the NICDC consultation meeting?",
        "How many industry associations took part in the DIA conclave?",
    ];
    let parallel = e.embed_queries_on(&qs, false).unwrap();
    let serial = e.embed_queries_on(&qs, true).unwrap();
    for (p, s) in parallel.iter().zip(&serial) {
        assert!(cosine(p, s) > 0.99999, "cosine {}", cosine(p, s));
    }
}
