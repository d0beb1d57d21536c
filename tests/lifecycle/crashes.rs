//! Refreshes killed (`SIGKILL`) at every step and at random moments: what survives, and where
//! the grants that do not survive were lost.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use twitter_auth_mock::{Fault, FaultKind, MockX};

use crate::support::{
    FIRST_ID, TempDir, fake_x, files, grants, login, once, reached, spawn_once, stored,
};

/// Where a kill landed, read from the store and from X afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Landed {
    /// Before the refresh intent was written (nothing recorded, nothing sent).
    BeforeIntent,
    /// The intent is recorded; X has not processed the refresh.
    IntentRecorded,
    /// X processed the refresh (rotated the token); the new set is in no file: the answer was
    /// on its way, or only in the killed process's memory.
    AtX,
    /// The new set is written beside the grant, not yet renamed over it.
    Written,
    /// The new set is committed.
    Committed,
}

fn landed(dir: &Path, id: u64, generation: u64, refreshes_before: u64, x: &MockX) -> Landed {
    let (grant, salvage) = stored(dir, id);
    let grant = grant.expect("the grant is still stored");
    if grant.generation() > generation {
        Landed::Committed
    } else if salvage.is_some_and(|s| s.generation() == generation + 1) {
        Landed::Written
    } else if x.counters().refreshes > refreshes_before {
        Landed::AtX
    } else if grant.refresh_intent().is_some() {
        Landed::IntentRecorded
    } else {
        Landed::BeforeIntent
    }
}

/// The user's generation: the stored grant's, or its successor's still waiting in `.next`.
fn generation(dir: &Path, id: u64) -> u64 {
    let (grant, salvage) = stored(dir, id);
    let grant = grant.expect("a grant").generation();
    salvage.map_or(grant, |s| s.generation().max(grant))
}

#[test]
fn a_refresh_killed_at_each_step_loses_the_grant_only_when_x_spent_it_unseen() {
    let x = fake_x(1);
    let dir = TempDir::new("failpoints");
    let here = grants(&x, dir.path());
    login(&x, &here, FIRST_ID);
    // (step, kill point, the next call's outcome, whether the grant must survive)
    let steps: [(&str, Option<&str>, bool); 7] = [
        ("before the intent is recorded", Some("before-intent"), true),
        ("after the intent is recorded", Some("after-intent"), true),
        ("after sending, while X answers", None, false),
        (
            "after X answered, before any write",
            Some("answered"),
            false,
        ),
        ("after the new set is written", Some("after-write"), true),
        ("after the rename", Some("after-rename"), true),
        ("not killed", Some("never"), true),
    ];
    let mut table = String::from(
        "| kill point | store after the kill | X rotated? | next call | grant |\n|---|---|---|---|---|\n",
    );
    for (name, point, survives) in steps {
        x.advance(Duration::from_secs(7200)); // due again
        let (g0, r0) = (generation(dir.path(), FIRST_ID), x.counters().refreshes);
        let mut child = match point {
            Some(point) => {
                let mut child = spawn_once(&x, dir.path(), FIRST_ID, Some(point));
                if point != "never" {
                    assert!(
                        reached(&mut child, point),
                        "{name}: the worker reached {point}"
                    );
                }
                child
            }
            None => {
                // Held at X: X processes the refresh, then answers 10 s later.
                x.inject(Fault::new(
                    "/2/oauth2/token",
                    1,
                    FaultKind::Delay(Duration::from_secs(10)),
                ));
                let child = spawn_once(&x, dir.path(), FIRST_ID, None);
                let start = Instant::now();
                while x.counters().refreshes == r0 {
                    assert!(start.elapsed() < Duration::from_secs(20), "X never saw it");
                    std::thread::sleep(Duration::from_millis(2));
                }
                child
            }
        };
        if point != Some("never") {
            child.kill().expect("SIGKILL");
        }
        let _ = child.wait();
        let at = landed(dir.path(), FIRST_ID, g0, r0, &x);
        let (grant, salvage) = stored(dir.path(), FIRST_ID);
        let grant = grant.expect("a grant");
        let store = format!(
            "generation {}{}{}",
            grant.generation() - g0 + 1,
            if grant.refresh_intent().is_some() {
                ", intent"
            } else {
                ""
            },
            if salvage.is_some() {
                ", new set in .next"
            } else {
                ""
            },
        );
        let rotated = x.counters().refreshes > r0;
        let next = once(&x, dir.path(), FIRST_ID);
        let alive = next == "ok";
        table.push_str(&format!(
            "| {name} | {store} | {} | {next} | {} |\n",
            if rotated { "yes" } else { "no" },
            if alive { "kept" } else { "lost" }
        ));
        assert_eq!(alive, survives, "{name} ({at:?}): next call said {next}");
        if !alive {
            assert_eq!(
                next, "login-required OutcomeUnknown",
                "{name}: a lost grant is reported as such, never as a bare invalid_request"
            );
            login(&x, &here, FIRST_ID);
            here.forget(&crate::support::key(FIRST_ID));
        }
    }
    println!("{table}");
    let left = files(dir.path());
    assert!(left.iter().all(|f| f.ends_with(".grant")), "{left:?}");
}

#[test]
fn random_sigkills_during_refreshes() {
    let kills: u32 = std::env::var("KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(40);
    let x = fake_x(1);
    let dir = TempDir::new("sigkill");
    let here = grants(&x, dir.path());
    login(&x, &here, FIRST_ID);

    // How long one refreshing worker takes, X answering 20 ms after processing.
    let delay = FaultKind::Delay(Duration::from_millis(20));
    x.advance(Duration::from_secs(7200));
    x.inject(Fault::new("/2/oauth2/token", 1, delay.clone()));
    let start = Instant::now();
    assert_eq!(once(&x, dir.path(), FIRST_ID), "ok");
    let span = start.elapsed();

    let mut tally: BTreeMap<Landed, (u32, u32, u32)> = BTreeMap::new(); // kills, lost, typed
    let mut bare = Vec::new();
    for i in 0..kills {
        x.advance(Duration::from_secs(7200));
        x.inject(Fault::new("/2/oauth2/token", 1, delay.clone()));
        let (g0, r0) = (generation(dir.path(), FIRST_ID), x.counters().refreshes);
        let mut child = spawn_once(&x, dir.path(), FIRST_ID, None);
        let at = span.mul_f64(f64::from(rand::random::<u32>()) / f64::from(u32::MAX));
        std::thread::sleep(at);
        let _ = child.kill();
        let _ = child.wait();
        // A request that left before the kill may still be processed: let X finish it.
        std::thread::sleep(Duration::from_millis(50));
        let landed = landed(dir.path(), FIRST_ID, g0, r0, &x);
        let next = once(&x, dir.path(), FIRST_ID);
        let entry = tally.entry(landed).or_default();
        entry.0 += 1;
        if next != "ok" {
            entry.1 += 1;
            if next == "login-required OutcomeUnknown" {
                entry.2 += 1;
            } else {
                bare.push(format!("kill {i} ({landed:?}): {next}"));
            }
            login(&x, &here, FIRST_ID);
        }
    }
    let mut table = format!(
        "{kills} SIGKILLs at random moments of a refresh (one refresh takes {span:?} with X answering 20 ms after processing):\n| kill landed | kills | grants lost | lost, reported as login required (OutcomeUnknown) |\n|---|--:|--:|--:|\n"
    );
    for (landed, (k, lost, typed)) in &tally {
        table.push_str(&format!("| {landed:?} | {k} | {lost} | {typed} |\n"));
    }
    println!("{table}");
    assert!(bare.is_empty(), "lost grants reported otherwise: {bare:?}");
    for (landed, (_, lost, _)) in &tally {
        if *landed != Landed::AtX {
            assert_eq!(*lost, 0, "no grant lost when the kill landed {landed:?}");
        }
    }
    let left = files(dir.path());
    assert!(left.iter().all(|f| f.ends_with(".grant")), "{left:?}");
}
