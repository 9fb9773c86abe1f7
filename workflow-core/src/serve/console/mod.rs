//! The web console: a page, a script, a style sheet and an icon, compiled into the binary so that the
//! console works offline. The script talks to the server through `POST /console/api` (the
//! Step Functions operations, plus `WorkflowConsole.ListWaitingTasks`).

const INDEX: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("app.js");
const STYLE: &str = include_str!("app.css");
const ICON: &str = include_str!("favicon.svg");

/// The content type and bytes of a console asset, by its name under `/console/` (`""` and
/// `index.html` are the page).
pub(crate) fn asset(name: &str) -> Option<(&'static str, &'static [u8])> {
    match name {
        "" | "index.html" => Some(("text/html; charset=utf-8", INDEX.as_bytes())),
        "app.js" => Some(("text/javascript; charset=utf-8", SCRIPT.as_bytes())),
        "app.css" => Some(("text/css; charset=utf-8", STYLE.as_bytes())),
        "favicon.svg" => Some(("image/svg+xml", ICON.as_bytes())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_the_page_names_is_served() {
        let mut named = 0;
        for part in INDEX.split(['"', '\'']) {
            if let Some(name) = part.strip_prefix("/console/") {
                named += 1;
                assert!(asset(name).is_some(), "index.html names /console/{name}");
            }
        }
        assert_eq!(named, 3);
        assert!(asset("../secret").is_none());
    }

    #[test]
    fn nothing_is_fetched_from_elsewhere() {
        for (name, text) in [
            ("index.html", INDEX),
            ("app.js", SCRIPT),
            ("app.css", STYLE),
        ] {
            for remote in ["http://", "https://", "//cdn"] {
                let offending = text
                    .lines()
                    .filter(|l| l.contains(remote) && !l.contains("www.w3.org/2000/svg"))
                    .collect::<Vec<_>>();
                assert!(offending.is_empty(), "{name} reaches out: {offending:?}");
            }
        }
        // Data is inserted as text, never as markup.
        assert!(!SCRIPT.contains("innerHTML"));
    }
}
