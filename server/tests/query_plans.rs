//! The queries behind every link open, list page, share's activity and job
//! claim stay cheap however large the database grows: the database's own
//! plan for each reads rows through an index, never a whole table.

mod common;

use app::clock::{ManualClock, SharedClock};
use common::{Sandbox, api::connect};
use server::store::{Dialect, hot_queries};
use sqlx::Row;

/// How many `$n` parameters `sql` has.
fn parameters(sql: &str) -> usize {
    (1..=9)
        .rev()
        .find(|n| sql.contains(&format!("${n}")))
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_hot_query_reads_a_whole_table() {
    let sandbox = Sandbox::new();
    let clock: SharedClock = ManualClock::starting_at(jiff::Timestamp::now());
    // Opening the store brings the schema up to date.
    server::store::open(sandbox.database_url(), clock)
        .await
        .unwrap();
    let db = connect(sandbox.database_url()).await;
    let dialect = Dialect::of(sandbox.database_url());
    let mut conn = db.acquire().await.unwrap();
    if dialect == Dialect::Postgres {
        // On empty tables a sequential scan is cheapest; with scans priced
        // out, one is chosen only where no index can serve. The generic plan
        // is the one for any parameter values.
        sqlx::query("SET enable_seqscan = off")
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query("SET plan_cache_mode = force_generic_plan")
            .execute(&mut *conn)
            .await
            .unwrap();
    }

    for (n, (name, sql)) in hot_queries(dialect).into_iter().enumerate() {
        let plan: Vec<String> = match dialect {
            Dialect::Sqlite => {
                let explain_sql = format!("EXPLAIN QUERY PLAN {sql}");
                let mut explain = sqlx::query(&explain_sql);
                for _ in 0..parameters(&sql) {
                    explain = explain.bind(None::<i64>);
                }
                explain
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap_or_else(|e| panic!("{name}: {e}"))
                    .iter()
                    .map(|row| row.get::<String, _>(3))
                    .collect()
            }
            Dialect::Postgres => {
                sqlx::raw_sql(&format!("PREPARE hot_{n} AS {sql}"))
                    .execute(&mut *conn)
                    .await
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let nulls = vec!["NULL"; parameters(&sql)].join(", ");
                let execute = if nulls.is_empty() {
                    format!("EXPLAIN EXECUTE hot_{n}")
                } else {
                    format!("EXPLAIN EXECUTE hot_{n}({nulls})")
                };
                sqlx::query(&execute)
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap_or_else(|e| panic!("{name}: {e}"))
                    .iter()
                    .map(|row| row.get::<String, _>(0))
                    .collect()
            }
        };
        // A subquery SQLite runs as a co-routine is scanned by its name:
        // that reads the few rows it yields, not a table.
        let subqueries: Vec<&str> = plan
            .iter()
            .filter_map(|line| line.trim_start().strip_prefix("CO-ROUTINE "))
            .collect();
        let whole_table = plan.iter().find(|line| match dialect {
            // "SCAN" reads a whole table or index; "SEARCH" reads by key.
            Dialect::Sqlite => line
                .trim_start()
                .strip_prefix("SCAN ")
                .is_some_and(|what| what != "CONSTANT ROW" && !subqueries.contains(&what)),
            Dialect::Postgres => line.contains("Seq Scan"),
        });
        assert!(
            whole_table.is_none(),
            "{name} reads a whole table ({}):\n{}\n\n{sql}",
            whole_table.unwrap(),
            plan.join("\n")
        );
        // An OR of two indexes gathers every row either matches before a
        // LIMIT can stop it (a claim would read every waiting job).
        let either_index = plan.iter().find(|line| match dialect {
            Dialect::Sqlite => line.contains("MULTI-INDEX OR"),
            Dialect::Postgres => line.contains("BitmapOr"),
        });
        assert!(
            either_index.is_none(),
            "{name} reads all rows of two indexes ({}):\n{}\n\n{sql}",
            either_index.unwrap(),
            plan.join("\n")
        );
        eprintln!("{name}:\n  {}", plan.join("\n  "));
    }
}
