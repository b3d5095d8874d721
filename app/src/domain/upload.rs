//! Photos and attachments: the type is read from the bytes, never from the name or the
//! declared content type, so a renamed executable is refused.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// The largest file accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
}

impl ImageKind {
    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Webp => "image/webp",
        }
    }

    /// The kind the bytes' signature says, if it is one we accept.
    pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
        const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if bytes.starts_with(PNG) {
            Some(ImageKind::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageKind::Webp)
        } else {
            None
        }
    }
}

/// Checks an upload's size and kind.
pub fn check_image(bytes: &[u8]) -> Result<ImageKind, FieldError> {
    if bytes.is_empty() {
        return Err(FieldError::FileEmpty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(FieldError::FileTooLarge { max_mb: 10 });
    }
    ImageKind::sniff(bytes).ok_or(FieldError::FileType)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_decide_the_kind() {
        assert_eq!(
            ImageKind::sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(
            ImageKind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(ImageKind::Png)
        );
        assert_eq!(
            ImageKind::sniff(b"RIFF\x24\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        // A Windows executable and an ELF binary renamed photo.jpg, a GIF, a truncated RIFF.
        assert_eq!(ImageKind::sniff(b"MZ\x90\0\x03\0\0\0"), None);
        assert_eq!(ImageKind::sniff(b"\x7fELF\x02\x01\x01"), None);
        assert_eq!(ImageKind::sniff(b"GIF89a"), None);
        assert_eq!(ImageKind::sniff(b"RIFF\0\0"), None);
    }

    #[test]
    fn empty_and_oversized_files_are_refused() {
        assert_eq!(check_image(b""), Err(FieldError::FileEmpty));
        let mut big = b"\xFF\xD8\xFF".to_vec();
        big.resize(MAX_BYTES + 1, 0);
        assert_eq!(
            check_image(&big),
            Err(FieldError::FileTooLarge { max_mb: 10 })
        );
        big.truncate(MAX_BYTES);
        assert_eq!(check_image(&big), Ok(ImageKind::Jpeg));
        assert_eq!(check_image(b"MZ\x90\0"), Err(FieldError::FileType));
    }
}
