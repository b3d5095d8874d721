//! A path on this site, for the redirects that take a path from the client (sign-in's `next`,
//! a form's way back). Browsers forgive a lot in a `Location`: they drop tabs and newlines,
//! read `\` as `/` and some proxies decode `%2F`, so `/\t/evil.example` or `/%5Cevil.example`
//! could lead to another host. Anything that could, in any of those readings, is refused.

/// `path` when it is a path on this site, never one that could lead elsewhere.
pub fn local_path(path: &str) -> Option<&str> {
    let mut reading = path.to_string();
    // The path as written, and as up to two rounds of percent-decoding would read it.
    for _ in 0..3 {
        if !plainly_local(&reading) {
            return None;
        }
        match percent_decoded(&reading) {
            Some(decoded) if decoded != reading => reading = decoded,
            Some(_) => return Some(path),
            // An escape of bytes that are not text: nothing a page of ours is called.
            None => return None,
        }
    }
    // Still encoded after three rounds: no path of ours looks like that.
    None
}

fn plainly_local(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
}

fn percent_decoded(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h)? * 16 + hex(l)?) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn paths_of_this_site_pass_unchanged() {
        for path in [
            "/",
            "/shipments",
            "/shipments/CP123456785CN?tab=events#top",
            "/staff/customers?q=%E7%8E%8B",
            "/returns/new?shipment=7&note=100%25",
        ] {
            assert_eq!(local_path(path), Some(path), "{path}");
        }
    }

    #[test]
    fn anything_that_could_lead_to_another_host_is_refused() {
        for path in [
            "",
            "dashboard",
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/\u{0}/evil.example",
            "/\u{7f}/evil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%0D%0A/evil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%252F/evil.example",
            "/%25252F/evil.example",
            "/%2525252F/evil.example",
            "/%ff/",
            " /evil",
            "javascript:alert(1)",
        ] {
            assert_eq!(local_path(path), None, "{path:?}");
        }
    }
}
