//! `twauth pkce`: prints a PKCE code verifier (fresh or given) and its `S256` challenge.

use std::io::BufRead as _;
use std::process::ExitCode;

use pkce::CodeVerifier;

/// Options of `twauth pkce`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// A code verifier to use instead of a fresh one (`-` reads one line from stdin).
    #[arg(long, value_name = "VERIFIER", allow_hyphen_values = true)]
    verifier: Option<String>,
}

/// Runs `twauth pkce`: exit 0 on success, 2 when the verifier is one RFC 7636 forbids.
pub(crate) fn run(args: &Args) -> ExitCode {
    match verifier(args) {
        Ok(verifier) => {
            let challenge = verifier.challenge();
            if crate::ui::json() {
                let out = serde_json::json!({
                    "verifier": verifier.secret(),
                    "challenge": challenge.as_str(),
                });
                crate::ui::out_json(&out);
            } else {
                crate::ui::outln!("verifier:  {}", verifier.secret());
                crate::ui::outln!("challenge: {}", challenge.as_str());
                crate::ui::outln!("method:    S256");
            }
            ExitCode::SUCCESS
        }
        Err(reason) => {
            crate::ui::errln!("twauth pkce: {reason}");
            ExitCode::from(2)
        }
    }
}

/// The verifier to print: the given one, validated, or a fresh one.
fn verifier(args: &Args) -> Result<CodeVerifier, String> {
    let Some(given) = &args.verifier else {
        return Ok(CodeVerifier::generate(&mut rand::rng()));
    };
    let given = if given == "-" {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the verifier from stdin: {e}"))?;
        if line.is_empty() {
            return Err("--verifier -: stdin is empty".to_owned());
        }
        let trimmed = line.trim_end_matches(['\n', '\r']).len();
        line.truncate(trimmed);
        line
    } else {
        given.clone()
    };
    CodeVerifier::new(given).map_err(|e| format!("invalid --verifier: {e}"))
}
