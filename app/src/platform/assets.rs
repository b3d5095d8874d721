//! Addresses of the site's own unhashed files (`public/`: Leaflet, the pages' scripts) that
//! carry their content's hash, so they can be cached for a year like the hashed build output
//! and a new version is fetched under a new address.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use sha2::{Digest, Sha256};

/// The query parameter holding the version; the server marks such answers immutable.
pub const VERSION_PARAM: &str = "v";

/// The only files addressed by version: what the pages link to. Nothing else is ever read
/// (a request names no file here).
pub const VERSIONED_FILES: [&str; 4] = [
    "pwa.js",
    "track.js",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
];

static VERSIONS: LazyLock<Mutex<HashMap<(String, &'static str), String>>> =
    LazyLock::new(Default::default);

/// `/<file>?v=<first 16 hex digits of its SHA-256>` for one of `VERSIONED_FILES`, read once
/// per process; without the file (a build that lacks it), or for any other name, its plain
/// address.
pub fn versioned(site_root: &str, file: &str) -> String {
    let Some(&known) = VERSIONED_FILES.iter().find(|f| **f == file) else {
        return format!("/{file}");
    };
    let mut cache = VERSIONS.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry((site_root.to_string(), known))
        .or_insert_with(
            || match std::fs::read(std::path::Path::new(site_root).join(known)) {
                Ok(bytes) => {
                    let digest = hex::encode(Sha256::digest(&bytes));
                    format!("/{known}?{VERSION_PARAM}={}", &digest[..16])
                }
                Err(_) => format!("/{known}"),
            },
        )
        .clone()
}

/// Whether `path_and_query` is the current address of one of `VERSIONED_FILES`.
pub fn is_current_version(site_root: &str, path_and_query: &str) -> bool {
    VERSIONED_FILES
        .iter()
        .any(|f| versioned(site_root, f) == path_and_query && path_and_query.contains('?'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_addressed_by_its_content_and_nothing_else_is_read() {
        let dir = std::env::temp_dir().join(format!("pp-assets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("track.js"), "one").unwrap();
        let root = dir.to_string_lossy().to_string();
        // sha256("one") begins 7692c3ad3540bb80.
        assert_eq!(versioned(&root, "track.js"), "/track.js?v=7692c3ad3540bb80");
        assert!(is_current_version(&root, "/track.js?v=7692c3ad3540bb80"));
        assert!(!is_current_version(&root, "/track.js?v=0000000000000000"));
        assert_eq!(versioned(&root, "pwa.js"), "/pwa.js", "missing: plain");
        assert!(!is_current_version(&root, "/pwa.js"));
        // A name from a request is never a path to read.
        assert_eq!(versioned(&root, "/etc/passwd"), "//etc/passwd");
        assert!(!is_current_version(&root, "//dev/zero?v=1"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
