//! Every server function under `/rpc` is sent missing, malformed, mistyped, oversized and
//! cross-site arguments, with and without a session: the answer is a refusal (4xx, or the form's
//! `{"Err": ...}`), a 403 for another site, a 413 for a body over the limit, never the server's
//! fault. And an email no account can have is refused at sign-in like a wrong password.

use std::collections::BTreeMap;
use std::time::Duration;

use leptos::server_fn::ServerFn;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::rpc::{
    all, classified, form_encoded, post_rpc, probe_client, session_of, Answer, Answers, Encoding,
    Rpc, Shape,
};
use crate::rpc_foreign_ids::A_EMAIL;

// ---------------------------------------------------------------------------------------------
// Missing, malformed, mistyped, oversized and cross-site arguments.

/// What a probe sends.
enum Sent {
    /// A body with the function's own content type, from this site.
    Body(Vec<u8>),
    /// An empty body from another site: the origin guard refuses it (403) whatever it holds.
    CrossSite,
    /// One byte over the function's body limit, announced or chunked: 413.
    Oversized { chunked: bool },
}

struct Probe<'a> {
    rpc: &'a Rpc,
    session: Option<&'a str>,
    name: &'static str,
    sent: Sent,
}

/// Bodies no server function can read its arguments from, but those of one taking none.
fn malformed(rpc: &Rpc) -> Vec<(&'static str, Vec<u8>)> {
    let mut bodies = vec![
        ("empty", Vec::new()),
        ("garbage", b"\x00\xff\xfe\x9c<{[garbage".to_vec()),
    ];
    match rpc.encoding {
        Encoding::Form => bodies.extend([
            ("not utf-8", b"a=\xff\xfe&b=\xc3\x28".to_vec()),
            (
                "junk pairs",
                b"zz_junk=1&%00=%00&=&&a[b][c][d][e][f][g][h]=deep".to_vec(),
            ),
            ("bad escapes", b"a=%zz&%=1&b=%e0%80&[[]=]".to_vec()),
        ]),
        Encoding::Json => bodies.extend([
            ("not utf-8", b"{\"a\": \"\xff\xfe\"}".to_vec()),
            (
                "junk fields",
                br#"{"zz_junk": 1, "\u0000": [null, {}]}"#.to_vec(),
            ),
            ("not an object", b"[true]".to_vec()),
            (
                "too deep",
                format!("{}{}", "[".repeat(4096), "]".repeat(4096)).into_bytes(),
            ),
        ]),
    }
    if !rpc.args.is_empty() {
        bodies.push(("wrong types", wrong_types(rpc).into_bytes()));
    }
    bodies
}

/// Every argument present with a value of the wrong type (see `Shape`).
fn wrong_types(rpc: &Rpc) -> String {
    match rpc.encoding {
        Encoding::Json => {
            let fields: serde_json::Map<String, Value> = rpc
                .args
                .iter()
                .map(|(name, _)| (name.to_string(), Value::Bool(true)))
                .collect();
            Value::Object(fields).to_string()
        }
        Encoding::Form => rpc
            .args
            .iter()
            .map(|(name, shape)| match shape {
                Shape::Scalar => format!("{name}[zz]=1"),
                Shape::Composite => format!("{name}=zz"),
            })
            .collect::<Vec<_>>()
            .join("&"),
    }
}

/// A POST of `size` bytes written straight to the socket, its length announced or chunked (no
/// length: the limit is then met while the body is read). The answer is read while the body
/// still goes out, as the server may answer and close before it is through; the status, 0 when
/// none came.
async fn post_oversized(
    addr: &str,
    path: &str,
    content_type: &str,
    session: Option<&str>,
    size: usize,
    chunked: bool,
) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
        return 0;
    };
    let (mut reader, mut writer) = stream.into_split();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
         Accept: application/json\r\nContent-Type: {content_type}\r\nConnection: close\r\n"
    );
    if let Some(cookie) = session {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if chunked {
        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
    } else {
        head.push_str(&format!("Content-Length: {size}\r\n\r\n"));
    }
    let writing = tokio::spawn(async move {
        let block = vec![b'a'; 64 * 1024];
        writer.write_all(head.as_bytes()).await?;
        let mut left = size;
        while left > 0 {
            let n = left.min(block.len());
            if chunked {
                writer.write_all(format!("{n:x}\r\n").as_bytes()).await?;
            }
            writer.write_all(&block[..n]).await?;
            if chunked {
                writer.write_all(b"\r\n").await?;
            }
            left -= n;
        }
        if chunked {
            writer.write_all(b"0\r\n\r\n").await?;
        }
        // Kept open until the answer is read: a closed side would end the request early.
        Ok::<_, std::io::Error>(writer)
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    writing.abort();
    String::from_utf8_lossy(&answer)
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or(0)
}

async fn probe(client: &reqwest::Client, base: &str, p: &Probe<'_>) -> Answer {
    let content_type = p.rpc.encoding.content_type();
    let (origin, body) = match &p.sent {
        Sent::Body(body) => (base, body.clone()),
        Sent::CrossSite => ("https://evil.example", Vec::new()),
        Sent::Oversized { chunked } => {
            let addr = base.trim_start_matches("http://");
            let size = server::api::limits::for_rpc(p.rpc.path) + 1;
            let sending = post_oversized(addr, p.rpc.path, content_type, p.session, size, *chunked);
            let status = tokio::time::timeout(Duration::from_secs(60), sending).await;
            let body = String::new();
            return Answer {
                status: status.unwrap_or(0),
                body,
            };
        }
    };
    post_rpc(
        client,
        base,
        p.rpc.path,
        content_type,
        origin,
        p.session,
        body,
    )
    .await
}

/// Why an answer to a probe is wrong, if it is.
fn probe_fault(p: &Probe<'_>, answer: &Answer) -> Option<&'static str> {
    if answer.server_failed() {
        return Some("the server failed");
    }
    match p.sent {
        Sent::CrossSite => (answer.status != 403).then_some("a cross-site write not refused (403)"),
        Sent::Oversized { .. } => (answer.status != 413).then_some("too large, not refused (413)"),
        Sent::Body(_) => {
            let may_succeed = match p.rpc.answers {
                Answers::Refusal => false,
                Answers::Anyone => true,
                Answers::OwnAccount => p.session.is_some(),
            };
            match answer.status {
                400..=499 => None,
                200..=299 if may_succeed => None,
                _ => Some("not refused with a 4xx"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_function_refuses_missing_malformed_oversized_and_cross_site_arguments() {
    let table = classified();
    let app = spawn_app().await;
    assert_eq!(app.sign_up("casey@example.com").await.status(), 201);
    let signed_in = session_of(&app, "casey@example.com").await;
    // Signing out ends the session it is sent with: it gets one of its own.
    let leaving = session_of(&app, "casey@example.com").await;
    let sign_out = <app::accounts::SignOut as ServerFn>::PATH;

    let mut probes = Vec::new();
    for rpc in &table {
        let own = if rpc.path == sign_out {
            &leaving
        } else {
            &signed_in
        };
        let own = Some(own.as_str());
        let mut sends = Vec::new();
        for session in [None, own] {
            for (name, body) in malformed(rpc) {
                sends.push((session, name, Sent::Body(body)));
            }
            sends.push((session, "cross-site", Sent::CrossSite));
            sends.push((session, "too large", Sent::Oversized { chunked: false }));
        }
        // The limit met while reading: the same for everyone, so sent once.
        sends.push((own, "too large, chunked", Sent::Oversized { chunked: true }));
        probes.extend(sends.into_iter().map(|(session, name, sent)| Probe {
            rpc,
            session,
            name,
            sent,
        }));
    }
    let prober = probe_client();
    let answers = all(probes.iter().map(|p| probe(&prober, &app.base, p))).await;

    let mut faults = Vec::new();
    let mut rows: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for (p, answer) in probes.iter().zip(&answers) {
        let fault = probe_fault(p, answer);
        let who = if p.session.is_some() {
            "signed in"
        } else {
            "no session"
        };
        let mark = if fault.is_some() { " !" } else { "" };
        rows.entry((p.rpc.path, who)).or_default().push(format!(
            "{}={}{mark}",
            p.name,
            answer.summary()
        ));
        if let Some(why) = fault {
            faults.push(format!(
                "{} [{who}] {}: {} ({why}) {}",
                p.rpc.path,
                p.name,
                answer.summary(),
                answer.body_start()
            ));
        }
    }
    if !faults.is_empty() {
        let lines: Vec<String> = rows
            .iter()
            .map(|((path, who), cells)| format!("{path} [{who}]: {}", cells.join(", ")))
            .collect();
        panic!(
            "{} wrong answers:\n{}\n\nevery answer (probe=status, ! wrong):\n{}",
            faults.len(),
            faults.join("\n"),
            lines.join("\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_no_account_can_have_is_refused_like_a_wrong_password() {
    let app = spawn_app().await;
    assert_eq!(app.sign_up(A_EMAIL).await.status(), 201);
    // Letters that no compression shrinks under PostgreSQL's limit for an indexed key.
    let mut seed = 7_u64;
    let long: String = (0..5_000)
        .map(|_| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            char::from(b'a' + ((seed >> 58) % 26) as u8)
        })
        .collect();
    let prober = probe_client();
    let sign_in = <app::accounts::SignIn as ServerFn>::PATH;
    for email in [format!("{A_EMAIL}\u{0}"), format!("{long}@example.com")] {
        let form = form_encoded(&json!({ "email": email, "password": PASSWORD }));
        let content_type = Encoding::Form.content_type();
        let answer = post_rpc(
            &prober,
            &app.base,
            sign_in,
            content_type,
            &app.base,
            None,
            form.into_bytes(),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body_start());
        assert_eq!(
            answer.refusal().as_deref(),
            Some("InvalidCredentials"),
            "{}",
            answer.body_start()
        );
        error_body(
            app.token(&email, PASSWORD).await,
            401,
            "invalid_credentials",
        )
        .await;
    }
}
