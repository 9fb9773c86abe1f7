//! The web console's assets (being written).

/// The content type and bytes of a console asset.
pub(crate) fn asset(path: &str) -> Option<(&'static str, &'static [u8])> {
    match path {
        "" | "index.html" => Some((
            "text/html; charset=utf-8",
            b"<!doctype html><title>workflow</title><p>The console is being written.</p>",
        )),
        _ => None,
    }
}
