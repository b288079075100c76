//! Every command the webview calls must be both registered and allowed: a command missing
//! from build.rs or from the capability file fails at run time with "not allowed", which
//! only a person clicking that button would see.

use std::collections::BTreeSet;

fn read(path: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The quoted names after each occurrence of `marker` in `text`.
fn names_after(text: &str, marker: &str) -> BTreeSet<String> {
    text.match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = &text[at + marker.len()..];
            let end = rest.find('"')?;
            Some(rest[..end].to_string())
        })
        .collect()
}

#[test]
fn every_command_the_ui_calls_is_registered_and_allowed() {
    // `invoke<T>("name", ...)`: the name follows the type's closing `>("`.
    let called: BTreeSet<String> = read("../ui/src/api.ts")
        .split("invoke<")
        .skip(1)
        .filter_map(|call| {
            let start = call.find(">(\"")? + 3;
            let end = call[start..].find('"')? + start;
            Some(call[start..end].to_string())
        })
        .collect();
    assert!(called.len() > 20, "found the UI's calls: {called:?}");
    let build = read("build.rs");
    let manifest: BTreeSet<String> = build
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('"') && l.ends_with("\","))
        .map(|l| l.trim_matches(|c| c == '"' || c == ',').to_string())
        .collect();
    let allowed: BTreeSet<String> = names_after(&read("capabilities/default.json"), "\"allow-")
        .into_iter()
        .map(|n| n.replace('-', "_"))
        .collect();
    let handlers = read("src/lib.rs");
    for name in &called {
        assert!(manifest.contains(name), "{name} is not in build.rs");
        assert!(
            allowed.contains(name),
            "{name} is not allowed in capabilities/default.json"
        );
        assert!(
            handlers.contains(&format!("::{name},")),
            "{name} is not in generate_handler!"
        );
    }
}
