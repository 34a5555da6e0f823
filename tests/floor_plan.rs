//! The floor plan holds: each layer imports only the layers below it (and its own), the two wings never
//! import each other, no source file passes 400 lines, and the README's layout map names every top-level
//! module and only paths that exist. Read from the files themselves, so it fails as soon as a change
//! breaks one of these. (`../shared/tools/rust_cycles.py src` checks file-level import cycles.)

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 400;

/// Top-level modules by layer, highest first. A module may import its own layer and the ones below.
const LAYERS: &[&[&str]] = &[
    &["cli"],
    &["startup"],
    &["public", "admin"],
    &[
        "state",
        "error",
        "views",
        "forwarded",
        "request_limits",
        "head_requests",
        "security_headers",
        "telemetry",
    ],
    &["db", "secrets", "email", "jobs"],
    &["domain", "config", "assets", "sensitive", "metrics"],
];

/// Same-layer imports that would still lean the wrong way.
const FORBIDDEN: &[(&str, &str)] = &[
    ("public", "admin"),
    ("admin", "public"),
    ("secrets", "db"),
    // Background work uses the data layer and the mail client; they never reach back into it.
    ("db", "jobs"),
    ("email", "jobs"),
    ("secrets", "jobs"),
    ("db", "email"),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The top-level module a file under `src/` belongs to (`src/db/mysql/tls.rs` → `db`).
fn module_of(file: &Path) -> String {
    let relative = file.strip_prefix(root().join("src")).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_owned()
}

/// Top-level modules named after `crate::`, including inside `use crate::{a, b::c}` groups.
fn crate_imports(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in source.match_indices("crate::") {
        let rest = &source[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.insert(name);
        }
    }
    found.retain(|name| !name.is_empty() && name != "self");
    found
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

#[test]
fn every_layer_imports_only_its_own_and_those_below() {
    let mut wrong = Vec::new();
    for file in rust_files(&root().join("src")) {
        let module = module_of(&file);
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(layer) = layer_of(&module) else {
            wrong.push(format!(
                "{module} is in no layer: add it to LAYERS in tests/floor_plan.rs"
            ));
            continue;
        };
        let source = fs::read_to_string(&file).unwrap();
        for import in crate_imports(&source) {
            if import == module {
                continue;
            }
            let Some(target) = layer_of(&import) else {
                // A macro exported at the crate root (`crate::db_run!`) belongs to its module.
                continue;
            };
            if target < layer || FORBIDDEN.contains(&(module.as_str(), import.as_str())) {
                wrong.push(format!("{} imports {import}", file.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the floor plan:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_source_or_test_file_passes_400_lines() {
    let mut long = Vec::new();
    for dir in ["src", "tests"] {
        for file in rust_files(&root().join(dir)) {
            let lines = fs::read_to_string(&file).unwrap().lines().count();
            if lines > MAX_LINES {
                long.push(format!("{}: {lines} lines", file.display()));
            }
        }
    }
    assert!(long.is_empty(), "split these files:\n{}", long.join("\n"));
}

#[test]
fn the_readme_layout_map_names_every_module_and_only_paths_that_exist() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("\n## Layout\n")
        .nth(1)
        .expect("README has a ## Layout section")
        .split("\n## ")
        .next()
        .unwrap();
    let mentioned: Vec<&str> = section
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|p| p.starts_with("src/") || p.starts_with("tests/"))
        .collect();
    for path in &mentioned {
        let plain = path.split(['{', ' ']).next().unwrap();
        assert!(
            root().join(plain).exists(),
            "the layout map names {path}, which does not exist"
        );
    }
    for entry in fs::read_dir(root().join("src")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let as_dir = format!("src/{name}/");
        let as_file = format!("src/{name}");
        assert!(
            mentioned.iter().any(|p| *p == as_dir || *p == as_file),
            "the layout map does not mention {as_file}"
        );
    }
}

#[test]
fn crate_imports_are_read_from_paths_and_groups() {
    let source = "use crate::{db::leads, views};\nlet x = crate::error::AppError::NotFound;";
    let found: Vec<String> = crate_imports(source).into_iter().collect();
    assert_eq!(found, ["db", "error", "views"]);
}

#[test]
fn every_rust_test_target_is_run_by_the_test_script() {
    let script = fs::read_to_string(root().join("scripts/test.sh")).unwrap();
    for entry in fs::read_dir(root().join("tests")).unwrap() {
        let path = entry.unwrap().path();
        let target = if path.extension().is_some_and(|e| e == "rs") {
            path.file_stem().unwrap().to_string_lossy().into_owned()
        } else if path.join("main.rs").exists() {
            path.file_name().unwrap().to_string_lossy().into_owned()
        } else {
            continue;
        };
        assert!(
            script.contains(&format!("--test {target}")),
            "scripts/test.sh never runs the test target {target}: a suite that CI skips proves nothing"
        );
    }
}
