//! Server-side rendering stays complete when several servers live in one process (as in
//! these tests, and on a restart): building a server must not disturb another server's
//! page that is rendering at that moment.
mod common;
use common::*;
use reqwest::StatusCode;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_to_the_end_while_other_servers_start() {
    let app = TestApp::spawn().await;
    let max = app.logged_in(EMPLOYEE).await;
    let version = app.demo_version().await;

    // Another thread keeps building servers on the same database for as long as we read.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let builder = {
        let (stop, db_path, db) = (stop.clone(), app.db_path.clone(), app.db.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let mut built = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let config = test_config(&db_path, Default::default());
                runtime
                    .block_on(server::Application::build(config, db.clone()))
                    .unwrap();
                built += 1;
            }
            built
        })
    };

    // The reading page has a resource inside a suspended view (the compliance notice): each
    // answer must arrive whole, not stop after the headers.
    for _ in 0..60 {
        let (status, page) = tokio::time::timeout(
            Duration::from_secs(20),
            app.get_html(&max, &format!("/read/{version}")),
        )
        .await
        .expect("the page was rendered to the end");
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("</html>") && page.contains("RS 2026/17"));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(builder.join().unwrap() > 0, "servers were built meanwhile");
}
