//! `cargo xtask tidy`: house rules that neither rustc nor clippy checks.
//!
//! - Every `.rs` file under `crates/`, `xtask/` and `tests/` starts with a `//!` doc comment.
//! - No `#[should_panic]` and no `#[ignore]`: assert on the `Err` value, or assert the wrong
//!   behaviour and leave a FIXME (rust-analyzer's style guide).
//! - The pure crates (`oauth1-sign`, `pkce`, `twitter-auth-core`) have no IO crate among their
//!   normal dependencies, with all features, on any target.
//! - `twitter-auth-mock` does not depend on `twitter-auth-core`: it checks the core
//!   independently (with `oauth1-sign` and `pkce` only).
//! - Each HTTP adapter's `src/` stays within a budget of lines of code.
//! - README code blocks equal the compiled examples they copy (`README_EXAMPLES`).
//! - Internal crates in the root `[workspace.dependencies]` carry `version` next to `path`, so
//!   the published crates that use them stay publishable.
//! - One shape per kind of call (issue 12), in the libraries' `src/`: no public free function
//!   and no public `new` builds a flow step (`…Exchange`): apps' methods do; no `==`/`!=` on a
//!   secret's text (constant time, `subtle`); no hand-written HTTP-date parsing (`httpdate`);
//!   no `use … as Name` renames in the README's code or in examples (one name per concept).
//!
//! The `tidy` test at the bottom runs all of it, so `cargo test --workspace` enforces the rules.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use crate::{DynError, cargo, output, project_root, workspace_crates};

/// Directories (relative to the root) whose `.rs` files are checked.
const SOURCE_DIRS: &[&str] = &["crates", "xtask", "tests", "examples"];

/// Crates that must stay sans-IO; those not (yet) in the workspace are skipped.
const PURE_CRATES: &[&str] = &["oauth1-sign", "pkce", "twitter-auth-core"];

/// Crates that do IO (runtimes, sockets, HTTP, system TLS): none may appear under a pure crate.
const IO_CRATES: &[&str] = &[
    "tokio",
    "reqwest",
    "ureq",
    "hyper",
    "hyper-util",
    "mio",
    "socket2",
    "async-std",
    "async-io",
    "smol",
    "h2",
    "native-tls",
    "openssl",
    "openssl-sys",
    "curl",
    "isahc",
];

/// The HTTP adapters' source directories; those that do not exist yet are skipped.
const ADAPTER_SOURCES: &[&str] = &[
    "crates/twitter-auth-reqwest/src",
    "crates/twitter-auth-ureq/src",
];

/// Most lines of code (non-blank, not `//` comments) allowed in one adapter's `src/`: about
/// 300 for the transport and 350 for pumping the core's `GrantTask` and `RefreshJob` against a
/// store (the keyed grants); every decision stays in the core.
const ADAPTER_BUDGET: usize = 650;

/// One broken rule: where, and why.
pub(crate) struct Problem {
    /// Path relative to the workspace root, with `/` separators.
    path: String,
    /// 1-based line number, when the rule is about one line.
    line: Option<usize>,
    /// What is wrong, and what to do instead.
    reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path, self.reason),
            None => write!(f, "{}: {}", self.path, self.reason),
        }
    }
}

/// What tidy looked at, and what it found.
pub(crate) struct Report {
    /// Every broken rule, in file order.
    pub(crate) problems: Vec<Problem>,
    /// Number of `.rs` files checked.
    files: usize,
    /// The pure crates whose dependency tree was checked.
    pure: Vec<String>,
    /// Lines of code per adapter source directory that exists.
    adapters: Vec<(String, usize)>,
}

impl Report {
    /// A one-line account of what passed.
    pub(crate) fn summary(&self) -> String {
        let pure = if self.pure.is_empty() {
            "none".to_string()
        } else {
            self.pure.join(", ")
        };
        let adapters = if self.adapters.is_empty() {
            "none yet".to_string()
        } else {
            let counts: Vec<String> = self
                .adapters
                .iter()
                .map(|(dir, n)| format!("{dir} {n}/{ADAPTER_BUDGET}"))
                .collect();
            counts.join(", ")
        };
        format!(
            "tidy: ok ({} .rs files; pure crates without IO dependencies: {pure}; adapter lines of code: {adapters})",
            self.files
        )
    }
}

/// `cargo xtask tidy`: lists every problem with its file and reason; fails if there is any.
pub(crate) fn run() -> Result<(), DynError> {
    let report = check(&project_root())?;
    if report.problems.is_empty() {
        println!("{}", report.summary());
        return Ok(());
    }
    for problem in &report.problems {
        eprintln!("{problem}");
    }
    let n = report.problems.len();
    Err(format!("tidy found {n} problem{}", if n == 1 { "" } else { "s" }).into())
}

/// Runs every rule against the workspace at `root`. `Err` only if a check could not run.
pub(crate) fn check(root: &Path) -> Result<Report, DynError> {
    let mut problems = Vec::new();

    let mut files = Vec::new();
    for dir in SOURCE_DIRS {
        collect_rust_files(&root.join(dir), &mut files)?;
    }
    files.sort();
    for file in &files {
        let text = fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let path = relative(root, file);
        if !starts_with_module_doc(&text) {
            problems.push(Problem {
                path: path.clone(),
                line: None,
                reason: "does not start with a `//!` doc comment saying what the file is for"
                    .into(),
            });
        }
        if path.starts_with("examples/") || path.contains("/examples/") {
            for (line, reason) in renames(&text) {
                problems.push(Problem {
                    path: path.clone(),
                    line: Some(line),
                    reason: reason.into(),
                });
            }
        }
        if is_library_source(&path) {
            for (line, reason) in shape_violations(&text) {
                problems.push(Problem {
                    path: path.clone(),
                    line: Some(line),
                    reason: reason.into(),
                });
            }
        }
        for (line, attr) in banned_test_attrs(&text) {
            problems.push(Problem {
                path: path.clone(),
                line: Some(line),
                reason: format!(
                    "`#[{attr}]` is not allowed: assert on the `Err`/`None` value instead, or assert the current (wrong) behaviour with a FIXME"
                ),
            });
        }
    }

    let crates = workspace_crates(root)?;
    let mut pure = Vec::new();
    for name in PURE_CRATES {
        let Some(krate) = crates.iter().find(|c| c.name == *name) else {
            continue;
        };
        let tree = normal_dependencies(name)?;
        for io in io_dependencies(&tree) {
            problems.push(Problem {
                path: relative(root, &krate.dir.join("Cargo.toml")),
                line: None,
                reason: format!(
                    "pure crate `{name}` depends on IO crate `{io}` (see `cargo tree -p {name} -e normal -i {io}`); IO belongs in the adapters"
                ),
            });
        }
        pure.push((*name).to_string());
    }

    if let Some(mock) = crates.iter().find(|c| c.name == "twitter-auth-mock") {
        let tree = normal_dependencies("twitter-auth-mock")?;
        if tree.lines().any(|line| {
            line.split_once(' ')
                .is_some_and(|(n, _)| n == "twitter-auth-core")
        }) {
            problems.push(Problem {
                path: relative(root, &mock.dir.join("Cargo.toml")),
                line: None,
                reason: "twitter-auth-mock depends on twitter-auth-core: the mock must check the core independently (oauth1-sign and pkce only)".to_string(),
            });
        }
    }

    let mut adapters = Vec::new();
    for dir in ADAPTER_SOURCES {
        let dir_path = root.join(dir);
        if !dir_path.is_dir() {
            continue;
        }
        let mut sources = Vec::new();
        collect_rust_files(&dir_path, &mut sources)?;
        let mut loc = 0;
        for file in &sources {
            loc += lines_of_code(&fs::read_to_string(file)?);
        }
        if loc > ADAPTER_BUDGET {
            problems.push(Problem {
                path: (*dir).to_string(),
                line: None,
                reason: format!(
                    "{loc} lines of code, over the adapter budget of {ADAPTER_BUDGET}: move logic into twitter-auth-core"
                ),
            });
        }
        adapters.push(((*dir).to_string(), loc));
    }

    let manifest = fs::read_to_string(root.join("Cargo.toml"))?;
    for (line, name) in unversioned_path_dependencies(&manifest) {
        problems.push(Problem {
            path: "Cargo.toml".into(),
            line: Some(line),
            reason: format!(
                "internal dependency `{name}` in [workspace.dependencies] has `path` but no `version`; published crates need both"
            ),
        });
    }

    if let Some(problem) = readme_quick_start(root)? {
        problems.push(problem);
    }

    Ok(Report {
        problems,
        files: files.len(),
        pure,
        adapters,
    })
}

/// The README's quick start must be the example that `cargo test` compiles: the first ```rust
/// block after `## Quick start` equals `crates/oauth1-sign/examples/quick_start.rs` minus its
/// leading `//!` and `#![...]` lines.
/// README code blocks that are copies of compiled examples: (the heading the block follows,
/// the example). CI builds the examples, so the README's code compiles.
const README_EXAMPLES: &[(&str, &str)] = &[
    (
        "## Quick start",
        "crates/oauth1-sign/examples/quick_start.rs",
    ),
    (
        "### OAuth 2.0 Authorization Code with PKCE",
        "crates/twitter-auth-ureq/examples/pkce_login.rs",
    ),
    (
        "### Many users",
        "crates/twitter-auth-reqwest/examples/many_users.rs",
    ),
    (
        "### OAuth 1.0a: 3-legged",
        "crates/twitter-auth-ureq/examples/oauth1_login.rs",
    ),
];

fn readme_quick_start(root: &Path) -> Result<Option<Problem>, DynError> {
    let readme = fs::read_to_string(root.join("README.md"))?;
    for (heading, example_path) in README_EXAMPLES {
        let Ok(example) = fs::read_to_string(root.join(example_path)) else {
            continue;
        };
        let block = readme
            .split_once(heading)
            .and_then(|(_, rest)| rest.split_once("```rust\n"))
            .and_then(|(_, rest)| rest.split_once("```"))
            .map(|(code, _)| code.trim().to_string());
        let body: Vec<&str> = example
            .lines()
            .skip_while(|l| {
                let t = l.trim_start();
                t.starts_with("//!") || t.starts_with("#![") || t.is_empty() || t.starts_with("// ")
            })
            .collect();
        let body = body.join("\n").trim().to_string();
        if block.as_deref() != Some(body.as_str()) {
            return Ok(Some(Problem {
                path: "README.md".into(),
                line: None,
                reason: format!(
                    "the code after `{heading}` differs from {example_path}: keep them the same"
                ),
            }));
        }
    }
    Ok(None)
}

/// Adds every `.rs` file under `dir` to `files`, skipping `target` directories (including
/// `fuzz/target`) and hidden directories. A missing `dir` adds nothing.
fn collect_rust_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), DynError> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type()?.is_dir() {
            if name != "target" && !name.starts_with('.') {
                collect_rust_files(&path, files)?;
            }
        } else if name.ends_with(".rs") {
            files.push(path);
        }
    }
    Ok(())
}

/// `path` relative to `root`, with `/` separators, for messages.
fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether the first non-empty line is a `//!` doc comment.
fn starts_with_module_doc(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.starts_with("//!"))
}

/// `(line, attribute)` for every `should_panic` or `ignore` test attribute, directly or through
/// `cfg_attr`. An attribute counts only where one can start: at the beginning of the code on a
/// line or right after another attribute, never inside a comment or after a quote.
fn banned_test_attrs(text: &str) -> Vec<(usize, &'static str)> {
    /// The attribute names that are not allowed.
    const BANNED: [&str; 2] = ["should_panic", "ignore"];
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let code = line.split_once("//").map_or(line, |(code, _)| code);
        let mut from = 0;
        while let Some(at) = code[from..].find("#[") {
            let start = from + at;
            from = start + 2;
            let before = code[..start].trim_end();
            if !(before.is_empty() || before.ends_with(']')) {
                continue;
            }
            let attr = &code[start + 2..];
            let name_len = attr
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(attr.len());
            let name = &attr[..name_len];
            let hit = if name == "cfg_attr" {
                let inner = attr.find(']').map_or(attr, |end| &attr[..end]);
                BANNED.into_iter().find(|banned| has_word(inner, banned))
            } else {
                BANNED.into_iter().find(|banned| name == *banned)
            };
            if let Some(banned) = hit {
                found.push((index + 1, banned));
            }
        }
    }
    found
}

/// Whether `word` occurs in `text` as a whole identifier.
/// `use … as Name` renames (not `as _`): a name the API should not need changing.
fn renames(text: &str) -> Vec<(usize, &'static str)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let code = line.split("//").next().unwrap_or("");
            code.trim_start().starts_with("use ")
                && code
                    .split(" as ")
                    .skip(1)
                    .any(|rest| !rest.trim_start().starts_with('_'))
        })
        .map(|(i, _)| {
            (
                i + 1,
                "a `use … as` rename: the API's names should not need one",
            )
        })
        .collect()
}

/// Whether `path` (relative to the root) is a library crate's source: what users call.
fn is_library_source(path: &str) -> bool {
    path.starts_with("crates/")
        && path.contains("/src/")
        && !path.starts_with("crates/twauth/")
        && !path.starts_with("crates/twitter-auth-mock/")
}

/// The lines of a library source that break issue 12's "one way to do each thing" rules.
fn shape_violations(text: &str) -> Vec<(usize, &'static str)> {
    let lines: Vec<&str> = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect();
    let mut found = Vec::new();
    let mut in_step_impl = false;
    for (i, &code) in lines.iter().enumerate() {
        let trimmed = code.trim_start();
        if code.starts_with("impl") {
            in_step_impl = code
                .split_whitespace()
                .nth(1)
                .is_some_and(|ty| ty.ends_with("Exchange") && !code.contains(" for "));
        }
        let public_fn = ["pub fn ", "pub const fn ", "pub async fn "]
            .iter()
            .any(|p| trimmed.starts_with(p));
        if public_fn {
            // The whole signature, however rustfmt wrapped it: up to its body or `;`.
            let signature: String = lines[i..]
                .iter()
                .take_while({
                    let mut done = false;
                    move |l| !std::mem::replace(&mut done, l.contains('{') || l.contains(';'))
                })
                .map(|l| l.trim())
                .collect::<Vec<_>>()
                .join(" ");
            let returns = signature.split("->").nth(1).unwrap_or("");
            let returns_step = returns
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|word| word.ends_with("Exchange") && word != "Exchange");
            let free = !code.starts_with(' ');
            if free && returns_step {
                found.push((i + 1, "a public free function builds a flow step: make it a method of the app the step belongs to"));
            }
            let name = signature.split("fn ").nth(1).unwrap_or("");
            if in_step_impl && (name.starts_with("new(") || name.starts_with("new<")) {
                found.push((
                    i + 1,
                    "a flow step has a public constructor: the app's method builds it",
                ));
            }
        }
        let compares = code.contains(" == ") || code.contains(" != ");
        if compares && (code.contains(".secret()") || code.contains("token.as_str()")) {
            found.push((
                i + 1,
                "a secret compared with `==`/`!=`: use `subtle::ConstantTimeEq`",
            ));
        }
        if code.contains("\"Jan\"") && code.contains("\"Feb\"")
            || trimmed.starts_with("pub fn parse_http_date")
        {
            found.push((i + 1, "hand-written HTTP-date parsing: use `httpdate`"));
        }
    }
    found
}

fn has_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        !text[..at].ends_with(is_ident) && !text[at + word.len()..].starts_with(is_ident)
    })
}

/// `cargo tree --prefix none` of a crate's normal dependencies, all features, every target.
fn normal_dependencies(name: &str) -> Result<String, DynError> {
    output(cargo([
        "tree",
        "-p",
        name,
        "-e",
        "normal",
        "--prefix",
        "none",
        "--all-features",
        "--target",
        "all",
    ]))
}

/// The IO crates in `cargo tree --prefix none` output (`<name> v<version> …` per line).
fn io_dependencies(tree: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    for line in tree.lines() {
        let Some((name, _)) = line.split_once(' ') else {
            continue;
        };
        if let Some(io) = IO_CRATES.iter().find(|io| **io == name)
            && !found.contains(io)
        {
            found.push(*io);
        }
    }
    found
}

/// Lines that are neither blank nor `//` comments (of any kind).
fn lines_of_code(text: &str) -> usize {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .count()
}

/// `(line, name)` for each entry of the root `[workspace.dependencies]` that has `path` but no
/// `version`, in inline-table form (`x = { path = "…" }`) or table form
/// (`[workspace.dependencies.x]`).
fn unversioned_path_dependencies(manifest: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut in_deps = false;
    // A `[workspace.dependencies.<name>]` table being read: (line, name, has path, has version).
    let mut table: Option<(usize, String, bool, bool)> = None;
    let finish = |table: &mut Option<(usize, String, bool, bool)>,
                  found: &mut Vec<(usize, String)>| {
        if let Some((line, name, true, false)) = table.take() {
            found.push((line, name));
        }
    };
    for (index, raw) in manifest.lines().enumerate() {
        let line = raw.split_once('#').map_or(raw, |(code, _)| code).trim();
        if line.starts_with('[') {
            finish(&mut table, &mut found);
            let section = line.trim_matches(|c| c == '[' || c == ']').trim();
            in_deps = section == "workspace.dependencies";
            if let Some(name) = section.strip_prefix("workspace.dependencies.") {
                table = Some((index + 1, name.trim_matches('"').to_string(), false, false));
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if let Some((_, _, has_path, has_version)) = table.as_mut() {
            *has_path |= key == "path";
            *has_version |= key == "version";
        } else if in_deps {
            let keys = inline_table_keys(value);
            if keys.contains(&"path") && !keys.contains(&"version") {
                found.push((index + 1, key.trim_matches('"').to_string()));
            }
        }
    }
    finish(&mut table, &mut found);
    found
}

/// The keys of a one-line inline table such as `{ path = "x", version = "1", features = ["a", "b"] }`.
fn inline_table_keys(value: &str) -> Vec<&str> {
    let value = value.trim();
    let Some(inner) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) else {
        return Vec::new();
    };
    inner
        .split(',')
        .filter_map(|part| part.split_once('='))
        .map(|(key, _)| key.trim())
        .filter(|key| {
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
        .collect()
}

/// The tidy rules themselves, and the workspace-wide `tidy` test.
#[cfg(test)]
mod tests {
    use super::{banned_test_attrs, check, io_dependencies, lines_of_code, starts_with_module_doc};
    use super::{shape_violations, unversioned_path_dependencies};
    use crate::project_root;

    /// The house rules hold for the whole workspace.
    #[test]
    fn tidy() {
        let report = check(&project_root()).expect("tidy checks could run");
        let problems: String = report.problems.iter().map(|p| format!("\n  {p}")).collect();
        assert!(report.problems.is_empty(), "tidy found problems:{problems}");
    }

    /// Only a `//!` first line counts as module docs.
    #[test]
    fn shape_rules() {
        let free = "pub fn refresh(app: &App) -> Result<RefreshExchange, Error> {\n";
        assert_eq!(shape_violations(free).len(), 1);
        let method = "impl App {\n    pub fn refresh(&self) -> Result<RefreshExchange, Error> {\n";
        assert!(shape_violations(method).is_empty());
        let ctor = "impl InvalidateTokenExchange {\n    pub fn new(x: u8) -> Self {\n";
        assert_eq!(shape_violations(ctor).len(), 1);
        let private = "impl InvalidateTokenExchange {\n    pub(crate) fn new(x: u8) -> Self {\n";
        assert!(shape_violations(private).is_empty());
        let wrapped = "pub fn refresh<R: CryptoRng>(\n    app: &App,\n    rng: &mut R,\n) -> Result<RefreshExchange, Error> {\n";
        assert_eq!(shape_violations(wrapped).len(), 1);
        let const_ctor =
            "impl UsersMeExchange {\n    pub const fn new(\n        x: u8,\n    ) -> Self {\n";
        assert_eq!(shape_violations(const_ctor).len(), 1);
        let trait_name = "pub fn run<E: Exchange>(step: E) -> Result<E::Output, Error> {\n";
        assert!(shape_violations(trait_name).is_empty());
        let eq = "    if body.token == self.token.secret() {\n";
        assert_eq!(shape_violations(eq).len(), 1);
        let months = "const M: [&str; 3] = [\"Jan\", \"Feb\", \"Mar\"];\n";
        assert_eq!(shape_violations(months).len(), 1);
    }

    #[test]
    fn module_doc() {
        assert!(starts_with_module_doc("\n//! Docs.\nfn f() {}\n"));
        assert!(!starts_with_module_doc("#![allow(x)]\n//! Docs.\n"));
        assert!(!starts_with_module_doc("/// Item docs.\nfn f() {}\n"));
        assert!(!starts_with_module_doc(""));
    }

    /// Banned attributes are found directly, after another attribute and in `cfg_attr`, but not in
    /// comments, strings or longer names.
    #[test]
    fn test_attrs() {
        // Written with `@` for `#` so that this file does not trip its own rule.
        let text = "@[test]\n    @[should_panic(expected = \"x\")]\nfn a() {}\n@[test] @[ignore]\n\
                    @[cfg_attr(miri, ignore)]\n// @[ignore] in a comment\nlet s = \"@[ignore]\";\n\
                    @[ignored_not]\n@[cfg_attr(x, derive(Ignore))]\n"
            .replace('@', "#");
        assert_eq!(
            banned_test_attrs(&text),
            [(2, "should_panic"), (4, "ignore"), (5, "ignore")]
        );
    }

    /// Whole crate names match, once each; `tokio-util` is not `tokio`.
    #[test]
    fn io_crates() {
        let tree = "pkce v0.1.0 (/x)\ntokio v1.0.0\nmio v1.0.0 (*)\ntokio-util v0.7.0\nh2 v0.4.0\nh2 v0.4.0 (*)\n";
        assert_eq!(io_dependencies(tree), ["tokio", "mio", "h2"]);
    }

    /// Blank lines and `//` comments of every kind are free.
    #[test]
    fn line_budget_counts_code_only() {
        assert_eq!(
            lines_of_code("//! Docs.\n\n/// Item.\nfn f() {\n    // note\n    g();\n}\n"),
            3
        );
    }

    /// Both inline and table entries are checked, and only in `[workspace.dependencies]`.
    #[test]
    fn internal_dependencies_carry_versions() {
        let manifest = "[workspace.dependencies]\na = { path = \"crates/a\", version = \"0.1.0\" }\n\
                        b = { path = \"crates/b\", features = [\"x\", \"y\"] }\nc = \"1\"\n\
                        [workspace.dependencies.d]\npath = \"crates/d\"\n[dependencies]\ne = { path = \"e\" }\n";
        assert_eq!(
            unversioned_path_dependencies(manifest),
            [(3, "b".to_string()), (5, "d".to_string())]
        );
    }
}
