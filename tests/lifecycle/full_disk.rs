//! A full disk, on a real file system of 64 KiB (tmpfs; the test needs the right to mount,
//! and says so when it is skipped): the refresh is not sent, and the old grant still works.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use twitter_auth_core::grant::{GrantOutcome, GrantTask, Next, SendFailure};
use twitter_auth_std::{BlockingTokenStore, FileStore};

use crate::support::{FIRST_ID, TempDir, fake_x, grants, key, login, once, public_client};

/// A tmpfs mounted for the test, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path) -> Option<Self> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            Some(Self(at.to_owned()))
        } else {
            eprintln!(
                "SKIPPED: cannot mount a tmpfs here (needs root); the injected failing store test covers the logic"
            );
            None
        }
    }

    /// Fills the file system until a write fails; the filler is returned to be removed.
    fn fill(&self) -> PathBuf {
        let filler = self.0.join("filler");
        let mut file = std::fs::File::create(&filler).expect("a filler file");
        let chunk = [0u8; 512];
        while file
            .write_all(&chunk)
            .and_then(|()| file.sync_all())
            .is_ok()
        {}
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_stops_the_refresh_before_it_is_sent() {
    let temp = TempDir::new("full");
    let Some(fs) = Tmpfs::mount(temp.path()) else {
        return;
    };
    let dir = temp.path().join("grants");
    let x = fake_x(1);
    let here = grants(&x, &dir);
    login(&x, &here, FIRST_ID);
    x.advance(Duration::from_secs(7200));
    let filler = fs.fill();

    let before = x.counters().refreshes;
    let next = once(&x, &dir, FIRST_ID);
    assert!(next.starts_with("error token store"), "{next}");
    assert_eq!(x.counters().refreshes, before, "the refresh was not sent");

    std::fs::remove_file(filler).expect("space again");
    assert_eq!(once(&x, &dir, FIRST_ID), "ok", "the old grant still works");
    assert_eq!(x.counters().refreshes, before + 1);
    drop(fs);
}

#[test]
fn a_disk_that_fills_while_x_answers_still_takes_the_new_set() {
    let temp = TempDir::new("fills");
    let Some(fs) = Tmpfs::mount(temp.path()) else {
        return;
    };
    let dir = temp.path().join("grants");
    let x = fake_x(1);
    let here = grants(&x, &dir);
    login(&x, &here, FIRST_ID);
    x.advance(Duration::from_secs(7200));

    // The refresh driven by hand, so the disk can fill between the intent and the new set.
    let store = FileStore::new(&dir);
    let http = here.transport();
    let mut task = GrantTask::refresh_if_due(key(FIRST_ID), public_client(&x), Default::default());
    let (mut lease, mut filler, mut outcome_saved) = (None, None, None);
    loop {
        let now = Instant::now();
        match task.poll(now) {
            Next::Lease { ttl } => {
                let held = store.try_lease(&key(FIRST_ID), ttl).unwrap().expect("free");
                task.leased(held.fence(), held.ttl(), now);
                lease = Some(held);
            }
            Next::Load => task.loaded(Ok(store.load(&key(FIRST_ID)).unwrap()), http.clock().now()),
            Next::Save { grant, expected } => {
                let intent = grant.refresh_intent().is_some();
                let saved = store.save(lease.as_ref().unwrap(), expected, grant);
                if intent {
                    filler = Some(fs.fill()); // the disk is full from here on
                } else {
                    outcome_saved = Some(format!("{saved:?}"));
                }
                task.saved(Ok(saved.expect("written")), http.clock().now());
            }
            Next::Send { request, replay } => match http.round_trip(request, replay) {
                Ok(answer) => task.answered(answer, http.clock().now()),
                Err(_) => task.send_failed(SendFailure::Unknown),
            },
            Next::Release => {
                store.release(lease.take().unwrap()).unwrap();
                task.released();
            }
            Next::Done => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(filler.is_some(), "the disk was filled after the intent");
    assert_eq!(
        outcome_saved.as_deref(),
        Some("Ok(Written)"),
        "the reserved space took it"
    );
    assert!(matches!(task.finish(), Ok(GrantOutcome::Refreshed(g)) if g.generation() == 2));
    std::fs::remove_file(filler.unwrap()).unwrap();
    let before = x.counters().refreshes;
    assert_eq!(once(&x, &dir, FIRST_ID), "ok");
    assert_eq!(
        x.counters().refreshes,
        before,
        "the new set was used, not refreshed again"
    );
    drop(fs);
}
