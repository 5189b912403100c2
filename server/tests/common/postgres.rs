//! A fresh PostgreSQL database per test, when the suite runs on PostgreSQL
//! (`TEST_DATABASE=postgres`), dropped when the test ends.

use sqlx::{Connection, Executor, PgConnection};

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Whether this run of the suite is on PostgreSQL.
pub fn wanted() -> bool {
    match std::env::var("TEST_DATABASE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("TEST_DATABASE={other}: expected sqlite or postgres"),
    }
}

fn admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.into())
}

/// Runs `statement` on the server's admin database, on a thread of its own:
/// sandboxes are made and dropped from sync code, inside or outside a runtime.
fn admin(statement: String) {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let url = admin_url();
            let mut conn = PgConnection::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {url}: {e}"));
            conn.execute(statement.as_str()).await.unwrap();
        })
    })
    .join()
    .expect("the PostgreSQL admin statement ran");
}

pub struct Database {
    name: String,
}

impl Database {
    pub fn create() -> Self {
        let name = format!("sar_test_{}", uuid::Uuid::new_v4().simple());
        admin(format!("CREATE DATABASE {name}"));
        Self { name }
    }

    /// The same server as the admin URL, this database.
    pub fn url(&self) -> String {
        let mut url = url::Url::parse(&admin_url()).expect("TEST_POSTGRES_URL is a URL");
        url.set_path(&self.name);
        url.to_string()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        // FORCE: a server killed a moment ago may still hold connections.
        admin(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}
