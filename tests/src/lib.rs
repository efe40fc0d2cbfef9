//! Helpers shared by the end-to-end tests in tests/tests/.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Output, Stdio};

/// A fresh, named kernel session keyring (Linux keyutils) that several processes can join:
/// `keyctl session NAME` starts a holder process (it keeps the keyring alive and lets this
/// user join it by name), then the app under test and the test's own `keyctl` look-ups join
/// the same keyring — the one place the keystore the app ships (keyring-core's keyutils
/// store) puts the owner's keys. Dropping it invalidates the user keys linked into it (the
/// keyutils store also links them into the user's persistent keyring) and ends the holder.
pub struct KeyringSession {
    name: String,
    holder: Child,
    stdin: Option<ChildStdin>,
}

impl KeyringSession {
    /// Starts the holder; `Err` says why not (`keyctl` missing or refused: the caller skips).
    pub fn start() -> Result<KeyringSession, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let name = format!("livecard-e2e-{}-{nanos}", std::process::id());
        // A session keyring grants its owner's other processes no search by default, and
        // joining by name needs it: the holder opens it to this user (uid), then waits on stdin.
        let mut holder = Command::new("keyctl")
            .args(["session", name.as_str(), "sh", "-c"])
            .arg("keyctl setperm @s 0x3f3f0000 >/dev/null && echo ready && exec cat >/dev/null")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run keyctl ({e}); apt-get install keyutils"))?;
        let stdin = holder.stdin.take();
        let mut line = String::new();
        let ready = holder
            .stdout
            .take()
            .map(|out| BufReader::new(out).read_line(&mut line))
            .is_some_and(|r| r.is_ok() && line.trim() == "ready");
        let session = KeyringSession {
            name,
            holder,
            stdin,
        };
        if !ready {
            return Err("`keyctl session NAME` did not make a session keyring".into());
        }
        Ok(session)
    }

    /// The keyring's name (`keyctl session NAME` joins it).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `keyctl session NAME`: add the program to run inside this session keyring.
    pub fn command(&self) -> Command {
        let mut c = Command::new("keyctl");
        c.args(["session", self.name.as_str()]);
        c
    }

    /// Runs the shell `script` (with `$1`… = `args`) inside this session keyring.
    pub fn sh(&self, script: &str, args: &[&str]) -> Output {
        self.command()
            .args(["sh", "-c", script, "sh"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run keyctl session")
    }

    /// The payload of the user key `description` reachable from this session keyring
    /// (`keyctl search @s user D`, then `keyctl pipe`), or `None` when there is none.
    pub fn read(&self, description: &str) -> Option<Vec<u8>> {
        let out = self.sh(
            r#"id=$(keyctl search @s user "$1") && keyctl pipe "$id""#,
            &[description],
        );
        out.status.success().then_some(out.stdout)
    }

    /// `keyctl show @s`, for messages.
    pub fn show(&self) -> String {
        String::from_utf8_lossy(&self.sh("keyctl show @s", &[]).stdout).into_owned()
    }
}

impl Drop for KeyringSession {
    fn drop(&mut self) {
        // The user keys linked straight into this keyring are the ones the app made here.
        let _ = self.sh(
            r#"for k in $(keyctl rlist @s); do
                 case "$(keyctl rdescribe "$k")" in user\;*) keyctl invalidate "$k";; esac
               done"#,
            &[],
        );
        // The holder's `cat` ends at end of input.
        drop(self.stdin.take());
        let _ = self.holder.wait();
    }
}
