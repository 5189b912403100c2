//! Building the server from a [`Config`] and running it until told to stop.

use std::{net::SocketAddr, sync::Arc};

use app::{
    App,
    clock::{SharedClock, SystemClock},
    link::LinkBase,
    shell,
    store::{JobWaker, Queue, SharedStore},
};
use axum::{
    Router,
    routing::{get, post},
};
use http::{HeaderValue, header};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::{
    compression::{
        CompressionLayer, Predicate,
        predicate::{DefaultPredicate, NotForContentType},
    },
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use crate::{
    config::{Config, MailSetup},
    demo,
    jobs::{Runner, RunnerHandle},
    mail::{Transport, delivery::Email},
    media::{self, DeleteMedia, MediaStore, ProcessRecording},
    state::AppState,
    store,
};

/// How long an unfinished upload is kept before a start removes it.
const UNFINISHED_UPLOADS_KEPT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// A server bound to its address, ready to run.
pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
    workers: Workers,
    client_limits: crate::serve::ClientLimits,
}

/// This process's job runners, one per queue.
struct Workers {
    /// `None` when email is not set up.
    email: Option<RunnerHandle>,
    media_deletion: RunnerHandle,
    processing: RunnerHandle,
}

impl Workers {
    fn start(
        config: &Config,
        store: &SharedStore,
        clock: &SharedClock,
        media: &Arc<MediaStore>,
    ) -> anyhow::Result<Self> {
        let transport = match (config.mail(), &config.smtp_url) {
            (MailSetup::Smtp, Some(url)) => {
                Some(Transport::smtp(url, config.smtp_timeout).map_err(|e| {
                    anyhow::anyhow!("cannot use SMTP_URL {}: {e}", crate::config::redacted(url))
                })?)
            }
            (MailSetup::DevMailbox, _) => Some(Transport::Mailbox(store.clone(), clock.clone())),
            _ => {
                tracing::warn!(
                    "email is not set up (no SMTP_URL): Send Email(s) is refused and no \
                     \"opened\" emails are sent; Generate Links works"
                );
                None
            }
        };
        let email = transport.map(|transport| {
            let handler = Email::new(
                store.clone(),
                transport,
                config.mail_from.clone(),
                LinkBase(config.short_link_url.to_string()),
            );
            Runner::new(handler, store.clone(), clock.clone(), config.job_timing).start()
        });
        let media_deletion = Runner::new(
            DeleteMedia::new(store.clone(), media.clone()),
            store.clone(),
            clock.clone(),
            config.job_timing,
        )
        .start();
        let processing =
            ProcessRecording::start(store.clone(), media.clone(), clock.clone(), config);
        Ok(Self {
            email,
            media_deletion,
            processing,
        })
    }

    fn waker(&self) -> JobWaker {
        let email = self.email.as_ref().map(RunnerHandle::waker);
        let media_deletion = self.media_deletion.waker();
        let processing = self.processing.waker();
        JobWaker(Arc::new(move |queue| match queue {
            Queue::Email => {
                if let Some(email) = &email {
                    email.notify_one();
                }
            }
            Queue::MediaDeletion => media_deletion.notify_one(),
            Queue::Processing => processing.notify_one(),
        }))
    }

    /// Stops claiming; waits for the jobs in flight (the rest stay queued).
    async fn stop(self) {
        if let Some(email) = self.email {
            email.stop().await;
        }
        self.media_deletion.stop().await;
        self.processing.stop().await;
    }
}

impl Application {
    /// Opens the store (applying migrations), seeds demo data in demo mode,
    /// and binds the listening socket (port 0 picks a free one).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let clock: SharedClock = Arc::new(SystemClock);
        let (store, sessions) =
            store::open_with_sessions(&config.database_url, clock.clone()).await?;
        let media = Arc::new(crate::media::open(&config)?);
        config.processing.tools.check().await?;
        // Uploads and processing a crash cut short: gone after a day.
        match media.remove_unfinished(UNFINISHED_UPLOADS_KEPT).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "removed unfinished uploads"),
            Err(error) => tracing::warn!(%error, "could not look for unfinished uploads"),
        }
        if config.demo_mode {
            demo::seed_if_empty(&store, &media, clock.now()).await?;
            demo::set_demo_password(&store, config.demo_password.as_deref()).await?;
        }
        let listener = tokio::net::TcpListener::bind(config.site_addr)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot listen on {} (LEPTOS_SITE_ADDR): {e}",
                    config.site_addr
                )
            })?;
        let mut leptos_options = leptos_options(&config);
        leptos_options.site_addr = listener.local_addr()?;
        let workers = Workers::start(&config, &store, &clock, &media)?;
        let state = AppState {
            leptos_options: Arc::new(leptos_options),
            store,
            media,
            clock,
            jobs: workers.waker(),
            link_misses: Arc::default(),
            report_limits: Arc::default(),
            max_upload_bytes: config.max_upload_bytes,
            notify_opens: config.mail() != MailSetup::Off,
            links: LinkBase(config.short_link_url.to_string()),
        };
        Ok(Self {
            listener,
            router: router(state, &config, sessions),
            workers,
            client_limits: crate::serve::ClientLimits {
                timeout: config.client_timeout,
                max_connections: config.max_connections,
            },
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound socket has an address")
    }

    /// Serves until `shutdown` completes, then finishes the requests in
    /// flight and the jobs being run (the rest stay queued).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let served =
            crate::serve::serve(self.listener, self.router, self.client_limits, shutdown).await;
        self.workers.stop().await;
        served
    }
}

/// Leptos' own options: file names of the compiled site, and where it is.
fn leptos_options(config: &Config) -> LeptosOptions {
    // cargo-leptos compiles the output name in; plain `cargo` builds (tests)
    // use the name from the workspace metadata.
    let output_name = option_env!("LEPTOS_OUTPUT_NAME").unwrap_or("share-a-recording");
    let env = if config.production {
        leptos::config::Env::PROD
    } else {
        leptos::config::Env::DEV
    };
    LeptosOptions::builder()
        .output_name(output_name)
        .site_root(config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(config.site_addr)
        .env(env)
        .reload_port(u32::from(config.reload_port))
        .build()
}

fn router(state: AppState, config: &Config, sessions: store::SessionStore) -> Router {
    let routes = generate_route_list(App);
    let store = state.store.clone();
    let clock = state.clock.clone();
    let links = LinkBase(config.short_link_url.to_string());
    let jobs = state.jobs.clone();
    let password_guard = crate::signin::password_guard();
    let live_reload = app::csp::LiveReload(config.watching);
    let public_url = app::auth::PublicUrl(config.public_url.clone());
    let setup = app::api::ssr::Setup {
        max_recipients: config.max_recipients,
        can_email: config.mail() != MailSetup::Off,
    };
    let context = move || {
        provide_context(store.clone());
        provide_context(clock.clone());
        provide_context(links.clone());
        provide_context(jobs.clone());
        provide_context(password_guard.clone());
        provide_context(live_reload);
        provide_context(public_url.clone());
        provide_context(setup);
    };
    let session_layer = crate::signin::session_layer(sessions, &config.public_url);

    // Video is already compressed, and compressing it would break byte ranges.
    let compress = DefaultPredicate::new().and(NotForContentType::const_new("video/"));

    let mut router = Router::new();
    if config.mail() == MailSetup::DevMailbox {
        use crate::mail::mailbox;
        router = router
            .route("/dev/mailbox", get(mailbox::list))
            .route("/dev/mailbox/{id}", get(mailbox::show))
            .route("/dev/mailbox/{id}/html", get(mailbox::html_part));
    }
    router
        .route("/healthz", get(|| async { "ok" }))
        .route(
            app::upload::UPLOAD_URL,
            post(crate::upload::upload_recording),
        )
        .route("/media/recordings/{id}", get(media::routes::video))
        .route(
            "/media/recordings/{id}/poster.jpg",
            get(media::routes::poster),
        )
        .route(
            "/media/recordings/{id}/previews.jpg",
            get(media::routes::previews),
        )
        .route(
            "/media/recordings/{id}/previews.vtt",
            get(media::routes::previews_index),
        )
        .merge(crate::viewer::routes())
        // The browser bundle: a release build made with `--precompress`
        // leaves brotli (q11) and gzip files beside each asset, sent as they
        // are to clients that take them; other files are compressed per
        // request by the layer below.
        .nest_service(
            "/pkg",
            ServeDir::new(config.site_root.join("pkg"))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .leptos_routes_with_context(&state, routes, context, {
            let options = LeptosOptions::clone(&state.leptos_options);
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Given the store only: the middleware's state is cloned for every request.
        .layer(axum::middleware::from_fn_with_state(
            state.store.clone(),
            crate::signin::require_sign_in,
        ))
        .layer(session_layer)
        .layer(axum::middleware::from_fn(crate::signin::refuse_cross_site))
        // A body whose client stops sending fails instead of holding on.
        .layer(axum::middleware::from_fn_with_state(
            config.client_timeout,
            crate::serve::body_timeout,
        ))
        // Who the client is, for the limits: behind TRUSTED_PROXIES, whom they report.
        .layer(axum::middleware::from_fn_with_state(
            config.trusted_proxies.clone(),
            crate::client::client_addr,
        ))
        .layer(CompressionLayer::new().compress_when(compress))
        // Pages set their own Content-Security-Policy (app, viewer, mailbox);
        // everything else at least may not be framed.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Served over https (as PUBLIC_URL says): browsers keep to https for
        // a year, so a stolen first plain-http request cannot strip it.
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            (config.public_url.scheme() == "https")
                .then(|| HeaderValue::from_static("max-age=31536000")),
        ))
        .layer(
            // One line per request: method, path, status and latency.
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// The span every request's log line carries. Link codes work like
/// passwords, so recipients' paths are logged without them.
fn request_span(request: &http::Request<axum::body::Body>) -> tracing::Span {
    let path = request.uri().path();
    let path = if path.starts_with("/l/") {
        "/l/…"
    } else {
        path
    };
    tracing::info_span!("request", method = %request.method(), path)
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
