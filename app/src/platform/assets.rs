//! Addresses of the site's own unhashed files (`public/`: Leaflet, the tracking page's script)
//! that carry their content's hash, so they can be cached for a year like the hashed build
//! output and a new version is fetched under a new address.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use sha2::{Digest, Sha256};

/// The query parameter holding the version; the server marks such answers immutable.
pub const VERSION_PARAM: &str = "v";

static VERSIONS: LazyLock<Mutex<HashMap<(String, String), String>>> =
    LazyLock::new(Default::default);

/// `/<file>?v=<first 16 hex digits of its SHA-256>`, read once per process; without the file
/// (a build that lacks it), its plain address.
pub fn versioned(site_root: &str, file: &str) -> String {
    let key = (site_root.to_string(), file.to_string());
    let mut cache = VERSIONS.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(key)
        .or_insert_with(
            || match std::fs::read(std::path::Path::new(site_root).join(file)) {
                Ok(bytes) => {
                    let digest = hex::encode(Sha256::digest(&bytes));
                    format!("/{file}?{VERSION_PARAM}={}", &digest[..16])
                }
                Err(_) => format!("/{file}"),
            },
        )
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_addressed_by_its_content() {
        let dir = std::env::temp_dir().join(format!("pp-assets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.js"), "one").unwrap();
        let root = dir.to_string_lossy().to_string();
        let url = versioned(&root, "a.js");
        // sha256("one") begins 7692c3ad3540bb80.
        assert_eq!(url, "/a.js?v=7692c3ad3540bb80");
        assert_eq!(versioned(&root, "missing.js"), "/missing.js");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
