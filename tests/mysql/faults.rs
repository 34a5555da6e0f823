//! Database faults under continuous lead load: every app connection dropped again and again (failover,
//! proxy restart), killed with `KILL` as a DBA would, and a full outage with recovery. What must hold:
//! no retryable submission fails, every acknowledged lead has its row, and recovery is quick.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::proxy::ChaosProxy;
use crate::served::Served;
use crate::support::{Mysql, client, mysql, server};

/// Posts leads with fresh form tokens until `stop`; returns every status and the acknowledged ids.
async fn lead_load(port: u16, stop: Arc<AtomicBool>) -> (BTreeMap<u16, u32>, Vec<i64>) {
    // Idle connections are let go well before the server's keep-alive ends them, so a closed keep-alive
    // connection never passes for an app failure.
    let http = reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let (mut statuses, mut ids) = (BTreeMap::new(), Vec::new());
    while !stop.load(Ordering::SeqCst) {
        let body = format!(
            "name=Ana&email=ana%40example.com&interest=beans&form_token={}",
            uuid::Uuid::new_v4().simple()
        );
        let response = http
            .post(format!("http://127.0.0.1:{port}/leads"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .body(body)
            .send()
            .await
            .expect("the app answers");
        let status = response.status().as_u16();
        *statuses.entry(status).or_insert(0) += 1;
        if status == 201 {
            let json: serde_json::Value = response.json().await.unwrap();
            ids.push(json["id"].as_i64().unwrap());
        }
    }
    (statuses, ids)
}

struct Rig {
    db: Mysql,
    name: String,
    proxy: ChaosProxy,
    served: Served,
}

async fn rig() -> Option<Rig> {
    let db = mysql()?;
    let (host, port) = db.host_port();
    let (name, _) = db.fresh_database().await;
    let proxy = ChaosProxy::start(host, port).await;
    let url = format!(
        "mysql://rr_admin:rr-admin-test-pw@127.0.0.1:{}/{name}",
        proxy.port
    );
    let mut command = server(&url);
    command
        .env("RR_DATABASE__CONNECT_TIMEOUT_SECS", "1")
        .env("RR_LEADS__RATE_LIMIT_PER_MINUTE", "1000000")
        .env("RR_LEADS__RATE_LIMIT_BURST", "1000000");
    let served = Served::start(command);
    Some(Rig {
        db,
        name,
        proxy,
        served,
    })
}

/// The app's warnings and errors, to explain a failed check.
fn warnings(rig: &Rig) -> String {
    rig.served
        .log_text()
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .take(30)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every acknowledged id has its row, and no row exists twice.
async fn assert_nothing_acknowledged_is_missing(rig: &Rig, ids: &[i64]) {
    let listed = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let stored = rig
        .db
        .query_count(&format!(
            "SELECT COUNT(*) FROM `{}`.leads WHERE id IN ({listed})",
            rig.name
        ))
        .await;
    assert_eq!(stored as usize, ids.len(), "acknowledged leads are missing");
}

async fn run_load_while(
    rig: &Rig,
    mut fault: impl AsyncFnMut(u32),
    rounds: u32,
) -> (BTreeMap<u16, u32>, Vec<i64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|_| tokio::spawn(lead_load(rig.served.port, Arc::clone(&stop))))
        .collect();
    for round in 0..rounds {
        tokio::time::sleep(Duration::from_millis(750)).await;
        fault(round).await;
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    stop.store(true, Ordering::SeqCst);
    let (mut statuses, mut ids) = (BTreeMap::new(), Vec::new());
    for worker in workers {
        let (s, i) = worker.await.unwrap();
        for (status, n) in s {
            *statuses.entry(status).or_insert(0) += n;
        }
        ids.extend(i);
    }
    (statuses, ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dropping_every_app_connection_again_and_again_under_load_fails_no_submission() {
    let Some(rig) = rig().await else { return };
    let (statuses, ids) = run_load_while(&rig, async |_| rig.proxy.drop_connections(), 10).await;
    println!("10 drops of every connection: {statuses:?}");
    assert_eq!(
        statuses.keys().collect::<Vec<_>>(),
        vec![&201],
        "{statuses:?}\n{}",
        warnings(&rig)
    );
    assert!(ids.len() > 100, "the load ran: {statuses:?}");
    assert_nothing_acknowledged_is_missing(&rig, &ids).await;
    let log = rig.served.log_text();
    assert!(
        log.contains("retrying on a fresh one"),
        "the drops hit requests in flight"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dba_killing_the_apps_connections_under_load_fails_no_submission() {
    let Some(rig) = rig().await else { return };
    let kill_all = async |_| {
        let pool = mysql_async::Pool::new(rig.db.admin_url.as_str());
        let mut conn = pool.get_conn().await.unwrap();
        let ids: Vec<u64> = mysql_async::prelude::Queryable::query(
            &mut conn,
            format!(
                "SELECT id FROM information_schema.processlist WHERE db = '{}'",
                rig.name
            ),
        )
        .await
        .unwrap();
        for id in ids {
            let _ =
                mysql_async::prelude::Queryable::query_drop(&mut conn, format!("KILL {id}")).await;
        }
        drop(conn);
        pool.disconnect().await.unwrap();
    };
    let (statuses, ids) = run_load_while(&rig, kill_all, 10).await;
    println!("10 rounds of KILL: {statuses:?}");
    assert_eq!(
        statuses.keys().collect::<Vec<_>>(),
        vec![&201],
        "{statuses:?}\n{}",
        warnings(&rig)
    );
    assert_nothing_acknowledged_is_missing(&rig, &ids).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn through_a_full_outage_leads_get_503_with_retry_after_nothing_acknowledged_is_lost_and_recovery_is_quick()
 {
    let Some(rig) = rig().await else { return };
    let stop = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn(lead_load(rig.served.port, Arc::clone(&stop)));
    tokio::time::sleep(Duration::from_millis(500)).await;
    rig.proxy.cut();
    let http = client();
    let url = format!("http://127.0.0.1:{}", rig.served.port);
    // Wait until the outage is visible, then check what a visitor gets.
    let deadline = Instant::now() + Duration::from_secs(10);
    let during = loop {
        let r = http
            .post(format!("{url}/leads"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("name=Zo%C3%AB&email=zoe%40example.com&interest=beans&message=Keep+this")
            .send()
            .await
            .unwrap();
        if r.status() == 503 || Instant::now() > deadline {
            break r;
        }
    };
    assert_eq!(during.status().as_u16(), 503);
    assert!(during.headers().contains_key("retry-after"));
    let page = during.text().await.unwrap();
    assert!(
        page.contains("try again in a moment"),
        "the browser form says what to do: {page}"
    );
    assert!(
        page.contains("Keep this") && page.contains("Zoë"),
        "and keeps what was typed"
    );
    assert_eq!(
        http.get(format!("{url}/health.html"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    rig.proxy.restore();
    let restored = Instant::now();
    let recovered = loop {
        let r = http
            .post(format!("{url}/leads"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .body(format!(
                "name=Ana&email=ana%40example.com&interest=beans&form_token={}",
                uuid::Uuid::new_v4().simple()
            ))
            .send()
            .await
            .unwrap();
        if r.status() == 201 {
            break restored.elapsed();
        }
        assert!(restored.elapsed() < Duration::from_secs(10), "no recovery");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    stop.store(true, Ordering::SeqCst);
    let (statuses, ids) = load.await.unwrap();
    println!(
        "outage: {statuses:?}; recovered {} ms after the database returned",
        recovered.as_millis()
    );
    assert!(
        statuses.keys().all(|s| matches!(s, 201 | 503)),
        "{statuses:?}"
    );
    assert!(
        recovered < Duration::from_secs(2),
        "recovery took {recovered:?}"
    );
    assert_nothing_acknowledged_is_missing(&rig, &ids).await;
}
