//! `twauth profiles list | show | delete | default` and `twauth status`: what is stored, for
//! which hosts, and until when. Nothing here talks to X.

use twitter_auth_core::grant::StoredGrant;
use twitter_auth_std::BlockingTokenStore as _;

use crate::error::CliError;
use crate::profile::{self, Profile, ProfilePaths, profile_name};
use crate::settings::{self, X_API};
use crate::token::{shown, tokens_json};
use crate::ui::{self, outln};

/// `profiles` options.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// List the stored profiles (`*` marks the default one).
    List,
    /// Show a profile: its credentials (shortened), hosts, and OAuth 2.0 grant.
    Show(ShowProfileArgs),
    /// Delete a profile's file and OAuth 2.0 grant from this machine (nothing is revoked at X:
    /// run `twauth revoke` / `twauth invalidate` first for that).
    Delete(DeleteArgs),
    /// Print the default profile, or make NAME the default (used when neither -u/--profile nor
    /// TWAUTH_PROFILE names one).
    Default(DefaultArgs),
}

#[derive(clap::Args, Debug)]
struct ShowProfileArgs {
    /// The profile (default: the one in use).
    #[arg(value_parser = profile_name)]
    name: Option<String>,
    #[command(flatten)]
    show: settings::ShowArgs,
}

#[derive(clap::Args, Debug)]
struct DeleteArgs {
    /// The profile to delete.
    #[arg(value_parser = profile_name)]
    name: String,
}

#[derive(clap::Args, Debug)]
struct DefaultArgs {
    /// The profile to make the default.
    #[arg(value_parser = profile_name)]
    name: Option<String>,
}

/// `status` options.
#[derive(clap::Args, Debug)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    show: settings::ShowArgs,
}

/// Runs `profiles …`.
pub(crate) fn run(args: &Args) -> Result<(), CliError> {
    match &args.action {
        Action::List => list(),
        Action::Show(args) => {
            ui::set_show_secrets(args.show.show_secrets);
            let name = match &args.name {
                Some(name) => name.clone(),
                None => settings::profile_in_use()?,
            };
            show(&name, false)
        }
        Action::Delete(args) => delete(&args.name),
        Action::Default(args) => default(args.name.as_deref()),
    }
}

/// Runs `status`: the profile in use, what it holds, what `request` would use.
pub(crate) fn status(args: &StatusArgs) -> Result<(), CliError> {
    ui::set_show_secrets(args.show.show_secrets);
    show(&settings::profile_in_use()?, true)
}

/// A profile's stored state.
struct Stored {
    paths: ProfilePaths,
    profile: Profile,
    grant: Option<StoredGrant>,
    exists: bool,
}

fn read(name: &str) -> Result<Stored, CliError> {
    let paths = ProfilePaths::of(name)?;
    let profile = paths.load()?;
    let grant = paths.store()?.load(&paths.key)?.usable();
    let exists = paths.profile.exists() || grant.is_some();
    Ok(Stored {
        paths,
        profile,
        grant,
        exists,
    })
}

fn grant_json(grant: &StoredGrant) -> serde_json::Value {
    let mut json = tokens_json(grant.tokens(), Some(grant.generation()));
    json["lost"] = serde_json::json!(grant.lost().map(|l| l.to_string()));
    json
}

fn grant_line(grant: &StoredGrant) -> String {
    let now = ui::unix_now();
    let expiry = match grant.expires_at().map(ui::unix_secs) {
        Some(at) if at > now => format!("expires in {}s ({})", at - now, ui::clock_time(at)),
        Some(at) => format!("expired {}s ago", now - at),
        None => "no expiry given".to_owned(),
    };
    let scopes: Vec<&str> = grant.tokens().scopes().iter().map(|s| s.as_str()).collect();
    let mut line = format!(
        "generation {}, access token {}, {expiry}, refresh token {}, scopes {}",
        grant.generation(),
        shown(grant.tokens().access_token().secret()),
        grant
            .tokens()
            .refresh_token()
            .map_or_else(|| "none".to_owned(), |r| shown(r.secret())),
        scopes.join(" ")
    );
    if let Some(lost) = grant.lost() {
        line.push_str(&format!(" — must log in again: {lost}"));
    }
    line
}

fn kinds(stored: &Stored) -> Vec<&'static str> {
    let mut kinds = Vec::new();
    if stored.grant.is_some() {
        kinds.push("oauth2");
    }
    kinds.extend(
        stored
            .profile
            .kinds()
            .into_iter()
            .filter(|k| matches!(*k, "oauth1" | "app-only")),
    );
    kinds
}

/// What `request` (auto) would use.
fn active(stored: &Stored) -> &'static str {
    if stored.grant.is_some() {
        "oauth2"
    } else if stored.profile.kinds().contains(&"oauth1") && stored.profile.consumer_key.is_some() {
        "oauth1"
    } else if stored.profile.bearer_token.is_some() {
        "app-only"
    } else {
        "none"
    }
}

fn list() -> Result<(), CliError> {
    let default = profile::default_profile()?;
    let names = profile::profile_names()?;
    let mut rows = Vec::new();
    for name in &names {
        let stored = read(name)?;
        rows.push((name, stored));
    }
    if ui::json() {
        let list: Vec<_> = rows
            .iter()
            .map(|(name, stored)| {
                serde_json::json!({
                    "name": name,
                    "default": **name == default,
                    "credentials": kinds(stored),
                    "base_url": stored.profile.base_url.as_deref().unwrap_or(X_API),
                })
            })
            .collect();
        ui::out_json(&serde_json::json!({ "profiles": list, "default": default }));
        return Ok(());
    }
    if rows.is_empty() {
        outln!(
            "no profiles yet: `twauth login oauth2` (or oauth1, or `token app-only --save`) creates one"
        );
        return Ok(());
    }
    for (name, stored) in &rows {
        let mark = if **name == default { '*' } else { ' ' };
        let kinds = kinds(stored);
        outln!(
            "{mark} {name:<16} {:<24} {}",
            if kinds.is_empty() {
                "(no credential)".to_owned()
            } else {
                kinds.join(", ")
            },
            stored.profile.base_url.as_deref().unwrap_or(X_API)
        );
    }
    Ok(())
}

fn show(name: &str, status: bool) -> Result<(), CliError> {
    let stored = read(name)?;
    if !stored.exists && !status {
        return Err(CliError::new(format!("no profile named '{name}'"))
            .with_hint("`twauth profiles list` shows the stored ones"));
    }
    let p = &stored.profile;
    let secret = |s: &Option<profile::Secret>| s.as_ref().map(|s| shown(s.expose()));
    let default = profile::default_profile()?;
    if ui::json() {
        ui::out_json(&serde_json::json!({
            "profile": name,
            "default": name == default,
            "file": stored.paths.profile.display().to_string(),
            "base_url": p.base_url.as_deref().unwrap_or(X_API),
            "auth_url": p.auth_url,
            "consumer_key": p.consumer_key,
            "consumer_secret": secret(&p.consumer_secret),
            "client_id": p.client_id,
            "client_secret": secret(&p.client_secret),
            "access_token": secret(&p.access_token),
            "access_token_secret": secret(&p.access_token_secret),
            "bearer_token": secret(&p.bearer_token),
            "oauth2_grant": stored.grant.as_ref().map(grant_json),
            "credentials": kinds(&stored),
            "request_uses": active(&stored),
        }));
        return Ok(());
    }
    outln!(
        "profile {name}{}{}",
        if name == default { " (default)" } else { "" },
        if stored.exists {
            ""
        } else {
            ": nothing stored yet"
        }
    );
    outln!("  file             {}", stored.paths.profile.display());
    outln!(
        "  hosts            API {}{}",
        p.base_url.as_deref().unwrap_or(X_API),
        p.auth_url
            .as_deref()
            .map_or_else(String::new, |a| format!(", authorize page {a}"))
    );
    let line = |label: &str, value: Option<String>| {
        if let Some(value) = value {
            outln!("  {label:<16} {value}");
        }
    };
    line("consumer key", p.consumer_key.clone());
    line("consumer secret", secret(&p.consumer_secret));
    line("client id", p.client_id.clone());
    line("client secret", secret(&p.client_secret));
    line("access token", secret(&p.access_token));
    line("token secret", secret(&p.access_token_secret));
    line("bearer token", secret(&p.bearer_token));
    match &stored.grant {
        Some(grant) => {
            outln!("  oauth2 grant     {}", stored.paths.grant_file().display());
            outln!("                   {}", grant_line(grant));
        }
        None => outln!("  oauth2 grant     none"),
    }
    if status {
        outln!("  request uses     {}", active(&stored));
    }
    Ok(())
}

fn delete(name: &str) -> Result<(), CliError> {
    let paths = ProfilePaths::of(name)?;
    let removed = paths.delete()?;
    if removed.is_empty() {
        return Err(CliError::new(format!("no profile named '{name}'")));
    }
    let removed: Vec<String> = removed.iter().map(|p| p.display().to_string()).collect();
    if ui::json() {
        ui::out_json(&serde_json::json!({ "deleted": name, "removed": removed }));
    } else {
        outln!("deleted profile {name}: removed {}", removed.join(", "));
    }
    Ok(())
}

fn default(name: Option<&str>) -> Result<(), CliError> {
    let Some(name) = name else {
        let current = profile::default_profile()?;
        if ui::json() {
            ui::out_json(&serde_json::json!({ "default": current }));
        } else {
            outln!("{current}");
        }
        return Ok(());
    };
    let path = profile::set_default_profile(name)?;
    if ui::json() {
        ui::out_json(
            &serde_json::json!({ "default": name, "saved_to": path.display().to_string() }),
        );
    } else {
        outln!("default profile: {name} (saved to {})", path.display());
    }
    Ok(())
}
