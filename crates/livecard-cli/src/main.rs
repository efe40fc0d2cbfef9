//! `livecard`: the command-line client. Every command calls [`livecard_core::Core`], the same
//! API the app uses. Commands, flags and JSON shapes are a contract: see README.md beside this
//! crate.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use livecard_core::{
    AddStatus, Core, Edit, EditOp, EditValue, OwnCard, ReceivedCard, Sort, WatchEvent,
};
use livecard_format::{Card, Field, Region};

mod exchange;

#[derive(Parser, Debug)]
#[command(
    name = "livecard",
    version,
    about = "livecard: business cards that stay current (名片，永远最新)"
)]
struct Cli {
    /// Where the local database lives [default: the per-user data directory + /livecard].
    #[arg(long, global = true, env = "LIVECARD_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Default region for phone numbers typed without a country code.
    #[arg(long, global = true, default_value = "CN", value_parser = parse_region)]
    region: Region,
    /// The sync server own cards are published to (received cards sync with the server of
    /// their link), e.g. https://livecard.example.
    #[arg(long, global = true, env = "LIVECARD_SERVER", value_name = "URL")]
    server: Option<String>,
    /// The PIN, once one is set (`lock set-pin`): every command that reads cards needs it.
    /// Each run is an app start: it begins locked and enters this PIN; wrong PINs are counted
    /// across runs. Ignored when no PIN is set.
    #[arg(
        long,
        global = true,
        env = "LIVECARD_PIN",
        hide_env_values = true,
        value_name = "PIN"
    )]
    pin: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Your own cards (我的名片).
    #[command(subcommand)]
    Me(MeCommand),
    /// Add a card: a share link, a QR image (.png/.jpg), NFC tag bytes (.ndef/.bin), or a .vcf
    /// / text file holding vCard, MeCard or a link.
    Add {
        #[arg(value_name = "LINK|FILE", required_unless_present = "nfc_json")]
        input: Option<String>,
        /// The JSON a phone's NFC plugin gave for a tag (Android or iOS shape; `-` = stdin).
        #[arg(long, value_name = "FILE", conflicts_with = "input")]
        nfc_json: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Sync all live cards in one request (and send your queued card edits); also takes the
    /// replies waiting in your cards' inboxes and adds the cards they carry.
    Sync {
        #[arg(long)]
        json: bool,
    },
    /// Print one line per received card change as it arrives (live, until Ctrl-C / SIGTERM).
    Watch {
        /// One JSON object per line: {"id","card_id","version","changed":[field…],"status"}.
        #[arg(long)]
        json: bool,
    },
    /// Send your card back to the owner of a received card ("send mine back", end to end
    /// encrypted to the card's inbox key).
    Reply {
        /// The received card (its id as `list` shows it, or its server card id).
        id: String,
        /// A note to go with it (at most 280 characters).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Replies that arrived ("new card from …"); accept, ignore or block one by its msg.
    Inbox {
        #[arg(long)]
        json: bool,
        /// Keep the card of this reply. (A msg is base64url and may start with `-`.)
        #[arg(long, value_name = "MSG", allow_hyphen_values = true, conflicts_with_all = ["ignore", "block", "rotate_key"])]
        accept: Option<String>,
        /// Remove the card this reply added.
        #[arg(long, value_name = "MSG", allow_hyphen_values = true, conflicts_with_all = ["block", "rotate_key"])]
        ignore: Option<String>,
        /// Remove the card and drop every later reply from that card.
        #[arg(
            long,
            value_name = "MSG",
            allow_hyphen_values = true,
            conflicts_with = "rotate_key"
        )]
        block: Option<String>,
        /// New inbox key for your default card (or OWN_ID): everyone who could write to the
        /// old one loses access; the card's link stays.
        #[arg(long, value_name = "OWN_ID", num_args = 0..=1, default_missing_value = "")]
        rotate_key: Option<String>,
    },
    /// Your keys: encrypted backup to move your cards to a new phone.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// List received cards.
    List {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value = "name", value_parser = parse_sort)]
        sort: Sort,
    },
    /// Search received cards (name, pinyin, initials, company, title, phone, email, tags).
    Search {
        query: String,
        #[arg(long)]
        json: bool,
        /// At most this many results.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Show a received card with your notes and tags (syncs it first when the server
    /// answers; marks it seen).
    Open {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Export all received cards as one vCard 4.0 file.
    Export {
        #[arg(long, value_name = "FILE")]
        vcf: PathBuf,
    },
    /// Set your private notes on a received card (empty text clears them).
    Note { id: String, text: String },
    /// Add (or with --remove, remove) your private tags on a received card.
    Tag {
        id: String,
        #[arg(required = true)]
        tags: Vec<String>,
        #[arg(long)]
        remove: bool,
    },
    /// Delete a received card (with your notes and tags).
    Delete { id: String },
    /// The card fields (字段): key, kind, vCard property, labels — every key works with
    /// `me edit --set KEY=VALUE`.
    Fields {
        /// The table as JSON: [{"key","kind","multi","vcard","impp","label_zh","label_en",…}].
        #[arg(long)]
        json: bool,
    },
    /// The PIN lock (PIN 码锁).
    #[command(subcommand)]
    Lock(LockCommand),
}

#[derive(Subcommand, Debug)]
enum LockCommand {
    /// Set the PIN (4–12 digits). Changing it needs the current one via --pin.
    SetPin {
        #[arg(value_name = "PIN")]
        new_pin: String,
    },
    /// Locked or not, wrong tries, seconds to wait (works while locked; checks no PIN).
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Remove the PIN (needs the current one via --pin).
    Remove,
    /// Erase every received card after N wrong PINs in a row (5–100), or `off` (the default).
    WipeAfter {
        #[arg(value_name = "N|off")]
        value: String,
    },
    /// Only when the keys are missing (`lock status`: keys_missing): restore the owner keys
    /// from a key backup; the PIN is cleared. Refused while the lock state exists.
    Recover {
        #[arg(long, value_name = "FILE")]
        backup: PathBuf,
        #[command(flatten)]
        pass: Passphrase,
    },
    /// Only when the keys are missing: delete every received card and clear the PIN (own
    /// cards stay). Refused while the lock state exists.
    StartOver {
        /// Confirms that every received card is to be deleted (required).
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Args, Debug)]
struct CardPick {
    /// Which own card (default: the default one).
    #[arg(long, value_name = "ID")]
    card: Option<String>,
}

#[derive(Subcommand, Debug)]
enum MeCommand {
    /// Edit your card (created if you have none): --set FIELD=VALUE, --add FIELD=VALUE.
    Edit {
        #[command(flatten)]
        pick: CardPick,
        /// Replace a field (a list field becomes this one value; empty clears). Repeatable.
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        /// Append to a list field (mobile, phone, fax, email, address, website). Repeatable.
        #[arg(long = "add", value_name = "FIELD=VALUE")]
        add: Vec<String>,
    },
    /// Create another own card from --set/--add values.
    New {
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        #[arg(long = "add", value_name = "FIELD=VALUE")]
        add: Vec<String>,
    },
    /// Replace your card with the first card of a .vcf (or MeCard) file.
    Import {
        file: PathBuf,
        #[command(flatten)]
        pick: CardPick,
    },
    /// Show your card.
    Show {
        #[command(flatten)]
        pick: CardPick,
        #[arg(long)]
        json: bool,
    },
    /// Your card as vCard 4.0 (to a file, or stdout).
    Vcf {
        #[command(flatten)]
        pick: CardPick,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Start a new own card from a received card (company, address, website, fax, industry).
    From { id: String },
    /// List your own cards.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Make an own card the default one.
    Default { id: String },
    /// Upload the current version of your card (first time: creates its keys) and print the
    /// share link.
    Publish {
        #[command(flatten)]
        pick: CardPick,
        #[arg(long)]
        json: bool,
    },
    /// QR code of your card's share link.
    Qr {
        #[command(flatten)]
        pick: CardPick,
        #[arg(long, value_name = "FILE")]
        png: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
    },
    /// NFC tag contents (NDEF message): the link plus an offline copy that fits the tag.
    Nfc {
        #[command(flatten)]
        pick: CardPick,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[arg(long, default_value = "ntag215")]
        tag: String,
    },
    /// QR code holding the link and an offline copy of your card (works without a server).
    QrOffline {
        #[command(flatten)]
        pick: CardPick,
        #[arg(long, value_name = "FILE")]
        png: PathBuf,
    },
    /// New share link: old holders keep their last copy and stop receiving updates.
    ResetLink {
        #[command(flatten)]
        pick: CardPick,
    },
    /// Delete your published card from the server (recipients keep their last copy, marked
    /// deleted). The local card stays, unpublished.
    Delete {
        #[command(flatten)]
        pick: CardPick,
    },
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Write the keys of your published cards to FILE, encrypted with a passphrase.
    Export {
        file: PathBuf,
        #[command(flatten)]
        pass: Passphrase,
    },
    /// Restore keys from FILE (a new phone keeps updating the same cards).
    Import {
        file: PathBuf,
        #[command(flatten)]
        pass: Passphrase,
    },
}

#[derive(Args, Debug)]
struct Passphrase {
    /// The passphrase (else env LIVECARD_PASSPHRASE, else a prompt on a terminal).
    #[arg(long, env = "LIVECARD_PASSPHRASE", hide_env_values = true)]
    passphrase: Option<String>,
}

fn parse_region(s: &str) -> Result<Region, String> {
    s.parse()
        .map_err(|e: livecard_format::FieldError| e.message)
}

fn parse_sort(s: &str) -> Result<Sort, String> {
    s.parse()
        .map_err(|e: livecard_core::CoreError| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn data_dir(cli: &Cli) -> Result<PathBuf> {
    match &cli.data_dir {
        Some(d) => Ok(d.clone()),
        None => dirs::data_dir().map(|d| d.join("livecard")).ok_or_else(|| {
            anyhow!("no per-user data directory on this system; pass --data-dir DIR")
        }),
    }
}

async fn run(cli: Cli) -> Result<()> {
    if let Command::Fields { json } = cli.command {
        // The field table needs no store, keys or PIN.
        return print_fields(json);
    }
    let dir = data_dir(&cli)?;
    let mut core = Core::open(&dir, cli.region)
        .await
        .with_context(|| format!("opening the store in {}", dir.display()))?
        .with_server(cli.server.clone());
    // The OS keystore; debug builds only: the one LIVECARD_KEYSTORE names (tests).
    if let Some(store) = livecard_core::keystore::test_override()? {
        core = core.with_secrets(store);
    }
    let pin = cli.pin.clone();
    if !matches!(cli.command, Command::Lock(_)) {
        open_lock(&core, pin.as_deref()).await?;
    }
    let result = match cli.command {
        Command::Lock(cmd) => run_lock(&core, cmd, pin.as_deref()).await,
        Command::Fields { json } => print_fields(json),
        Command::Me(me) => run_me(&core, me).await,
        Command::Sync { json } => {
            let r = core.sync().await?;
            for e in &r.errors {
                eprintln!("warning: {e}");
            }
            if json {
                print_json(&r)
            } else {
                println!(
                    "checked {} · updated {} · gone {} · revoked {} · refused {} · outbox sent {} (waiting {}) · inbox {} (cards added {})",
                    r.checked, r.updated, r.gone, r.revoked, r.refused, r.outbox_replayed, r.outbox_pending,
                    r.inbox_received, r.inbox_cards
                );
                Ok(())
            }
        }
        Command::Watch { json } => run_watch(&core, json).await,
        Command::Reply { id, note, json } => {
            let sent = core.reply(&id, note.as_deref()).await?;
            if json {
                print_json(&sent)
            } else {
                println!(
                    "sent your card to the owner of {} (waits on the server until {}) / 已回传名片",
                    sent.card_id, sent.expires
                );
                Ok(())
            }
        }
        Command::Inbox {
            json,
            accept,
            ignore,
            block,
            rotate_key,
        } => run_inbox(&core, json, accept, ignore, block, rotate_key).await,
        Command::Keys(KeysCommand::Export { file, pass }) => {
            let p = passphrase(pass, true)?;
            let bytes = core.export_keys(&p).await?;
            write(&file, &bytes)?;
            eprintln!(
                "keys written to {} (keep the file and the passphrase apart) / 密钥已导出",
                file.display()
            );
            Ok(())
        }
        Command::Keys(KeysCommand::Import { file, pass }) => {
            let bytes = read(&file)?;
            let p = passphrase(pass, false)?;
            print_json(&core.import_keys(&bytes, &p).await?)
        }
        Command::Add {
            input,
            nfc_json,
            json,
        } => {
            let outcomes = match (nfc_json, input) {
                (Some(file), _) => {
                    let outcomes = core.add_nfc_json(&read_text(&file)?).await?;
                    outcomes.iter().for_each(note_status);
                    outcomes
                }
                (None, Some(input)) => add_input(&core, &input).await?,
                (None, None) => bail!("add: give a LINK or FILE, or --nfc-json FILE"),
            };
            if json {
                print_json(&outcomes)
            } else {
                let mut out = std::io::stdout().lock();
                for o in &outcomes {
                    writeln!(out, "{}", o.id)?;
                }
                Ok(())
            }
        }
        Command::List { json, sort } => {
            let cards = core.list(sort).await?;
            if json {
                print_json(&cards)
            } else {
                print_rows(&cards)
            }
        }
        Command::Search { query, json, limit } => {
            let hits = core.search(&query, limit).await?;
            let mut cards = Vec::with_capacity(hits.len());
            for h in hits {
                cards.push(core.get(&h.id).await?);
            }
            if json {
                print_json(&cards)
            } else {
                print_rows(&cards)
            }
        }
        Command::Open { id, json } => {
            let c = core.open_with_changes(&id).await?;
            if let livecard_core::Refresh::Offline { message } = &c.refresh {
                eprintln!("note: {message}; showing the saved copy / 离线，显示已保存的版本");
            }
            if let livecard_core::Refresh::Failed { message } = &c.refresh {
                eprintln!("warning: {message}; showing the saved copy / 显示已保存的版本");
            }
            if let livecard_core::Refresh::Refused { reason, .. } = &c.refresh {
                eprintln!("warning: {reason}");
            }
            if json {
                print_json(&c)
            } else {
                print_received(&c.card)?;
                for ch in &c.changes {
                    println!(
                        "变更 Change v{}: {} {:?} → {:?}",
                        ch.version, ch.field, ch.old, ch.new
                    );
                }
                Ok(())
            }
        }
        Command::Export { vcf } => {
            let text = core.export_vcf().await?;
            let n = core.list(Sort::Name).await?.len();
            write(&vcf, text.as_bytes())?;
            eprintln!(
                "exported {n} cards to {} / 已导出 {n} 张名片",
                vcf.display()
            );
            Ok(())
        }
        Command::Note { id, text } => print_json(&core.set_notes(&id, &text).await?),
        Command::Tag { id, tags, remove } => {
            let c = if remove {
                core.remove_tags(&id, &tags).await?
            } else {
                core.add_tags(&id, &tags).await?
            };
            print_json(&c)
        }
        Command::Delete { id } => {
            core.delete(&id).await?;
            eprintln!("deleted {id} / 已删除");
            Ok(())
        }
    };
    // Closing checkpoints the WAL into the database file: a run that wrote much (an import of
    // 10,000 cards) leaves no multi-megabyte WAL for the next open (the app's launch) to read.
    core.close().await;
    result
}

/// Each CLI run is an app start: with a PIN set, the lock starts locked and the PIN given
/// with `--pin` / `LIVECARD_PIN` is entered (counted like a PIN typed on the lock screen).
/// Without a PIN set, `--pin` is ignored and the keystore is not opened.
async fn open_lock(core: &Core, pin: Option<&str>) -> Result<()> {
    let st = core.lock_status().await?;
    if !st.locked {
        return Ok(());
    }
    if st.keys_missing {
        bail!(
            "{} (CLI: `livecard lock recover --backup FILE` or `livecard lock start-over --yes`)",
            livecard_core::CoreError::LockStateMissing {
                store: String::new()
            }
        );
    }
    let Some(pin) = pin else {
        bail!(
            "livecard is locked: give the PIN with --pin or LIVECARD_PIN / 已锁定：请用 --pin 或 LIVECARD_PIN 提供 PIN 码"
        );
    };
    core.unlock(pin).await?;
    Ok(())
}

async fn run_lock(core: &Core, cmd: LockCommand, pin: Option<&str>) -> Result<()> {
    match cmd {
        LockCommand::SetPin { new_pin } => {
            let had = core.lock_status().await?.pin_set;
            if had && pin.is_none() {
                bail!("a PIN is already set: give the current one with --pin or LIVECARD_PIN / 已设置 PIN 码：请用 --pin 提供当前 PIN 码");
            }
            core.set_pin(&new_pin, if had { pin } else { None }).await?;
            eprintln!(
                "{} / {}",
                if had { "PIN changed" } else { "PIN set" },
                if had {
                    "PIN 码已更改"
                } else {
                    "PIN 码已设置"
                }
            );
            Ok(())
        }
        LockCommand::Status { json } => {
            let st = core.lock_status().await?;
            if json {
                return print_json(&st);
            }
            println!(
                "pin_set: {}\nlocked: {}\nwrong_tries: {}\nwait_secs: {}\ntries_left_before_delay: {}\nwipe_after: {}\nkeys_missing: {}",
                st.pin_set,
                st.locked,
                st.wrong_tries,
                st.wait_secs,
                st.tries_left_before_delay,
                st.wipe_after.map_or("off".to_string(), |n| n.to_string()),
                st.keys_missing
            );
            Ok(())
        }
        LockCommand::Remove => {
            let Some(pin) = pin else {
                bail!("lock remove needs the current PIN: --pin or LIVECARD_PIN / 删除 PIN 码需要当前 PIN 码");
            };
            core.remove_pin(pin).await?;
            eprintln!("PIN removed / PIN 码已删除");
            Ok(())
        }
        LockCommand::Recover { backup, pass } => {
            let bytes = read(&backup)?;
            let p = passphrase(pass, false)?;
            let r = core.recover_from_key_backup(&bytes, &p).await?;
            eprintln!("keys restored, PIN cleared: set a new one with `lock set-pin` / 密钥已恢复，PIN 码已清除：请重新设置");
            print_json(&r)
        }
        LockCommand::StartOver { yes } => {
            if !yes {
                bail!("lock start-over deletes every received card: confirm with --yes / 将删除所有收到的名片：请加 --yes 确认");
            }
            let erased = core.start_over_without_keys().await?;
            eprintln!("{erased} received cards deleted, PIN cleared / 已删除 {erased} 张收到的名片，PIN 码已清除");
            print_json(&serde_json::json!({ "erased": erased }))
        }
        LockCommand::WipeAfter { value } => {
            let n = match value.trim() {
                "off" => None,
                v => Some(v.parse::<u32>().map_err(|_| {
                    anyhow!("wipe-after: expected a number 5–100 or off, got {v:?}")
                })?),
            };
            open_lock(core, pin).await?;
            let st = core.set_wipe_after(n).await?;
            match st.wipe_after {
                Some(n) => eprintln!(
                    "warning: after {n} wrong PINs in a row every received card will be ERASED / 警告：连续 {n} 次输错 PIN 码将清除所有收到的名片"
                ),
                None => eprintln!("wipe-after is off / 已关闭自动清除"),
            }
            Ok(())
        }
    }
}

async fn run_me(core: &Core, cmd: MeCommand) -> Result<()> {
    match cmd {
        MeCommand::Edit { pick, set, add } => {
            let edits = parse_edits(&set, &add)?;
            if edits.is_empty() {
                bail!("nothing to edit: give --set FIELD=VALUE or --add FIELD=VALUE");
            }
            print_json(&core.edit_own(pick.card.as_deref(), &edits).await?)
        }
        MeCommand::New { set, add } => {
            let edits = parse_edits(&set, &add)?;
            print_json(&core.create_own(&edits).await?)
        }
        MeCommand::Import { file, pick } => {
            let bytes = read(&file)?;
            let (own, warnings) = core.import_own(pick.card.as_deref(), &bytes).await?;
            for w in warnings {
                eprintln!("warning: {w}");
            }
            print_json(&own)
        }
        MeCommand::Show { pick, json } => {
            let own = core.own_card(pick.card.as_deref()).await?;
            if json {
                print_json(&own)
            } else {
                print_own(&own)
            }
        }
        MeCommand::Vcf { pick, out } => {
            let text = core.own_vcard(pick.card.as_deref()).await?;
            match out {
                Some(path) => write(&path, text.as_bytes()),
                None => {
                    std::io::stdout().lock().write_all(text.as_bytes())?;
                    Ok(())
                }
            }
        }
        MeCommand::From { id } => print_json(&core.seed_own_from(&id).await?),
        MeCommand::List { json } => {
            let cards = core.own_cards().await?;
            if json {
                print_json(&cards)
            } else {
                let mut out = std::io::stdout().lock();
                for c in cards {
                    writeln!(
                        out,
                        "{}{}\tv{}\t{}\t{}",
                        c.id,
                        if c.is_default { " *" } else { "" },
                        c.version,
                        c.card.display_name(),
                        c.card.company
                    )?;
                }
                Ok(())
            }
        }
        MeCommand::Default { id } => print_json(&core.set_default_own(&id).await?),
        MeCommand::Publish { pick, json } => {
            let p = core.publish(pick.card.as_deref()).await?;
            if p.merged {
                eprintln!(
                    "note: another device had published first; merged field by field / 已与其他设备的修改合并"
                );
            }
            eprintln!("published version {} / 已发布", p.version);
            if json {
                print_json(&p)
            } else {
                println!("{}", p.link);
                Ok(())
            }
        }
        MeCommand::ResetLink { pick } => {
            let p = core.reset_link(pick.card.as_deref()).await?;
            eprintln!("new link; old links stop updating / 已生成新链接，旧链接不再更新");
            println!("{}", p.link);
            Ok(())
        }
        MeCommand::Delete { pick } => {
            let v = core.delete_own_published(pick.card.as_deref()).await?;
            eprintln!(
                "deleted from the server (version {v}); recipients keep their last copy / 已从服务器删除"
            );
            Ok(())
        }
        MeCommand::Qr { pick, png, svg } => {
            exchange::me_qr(core, pick.card.as_deref(), png, svg).await
        }
        MeCommand::Nfc { pick, out, tag } => {
            exchange::me_nfc(core, pick.card.as_deref(), &out, &tag).await
        }
        MeCommand::QrOffline { pick, png } => {
            exchange::me_qr_offline(core, pick.card.as_deref(), &png).await
        }
    }
}

fn note_status(o: &livecard_core::AddOutcome) {
    match o.status {
        AddStatus::Added => {}
        AddStatus::Updated => eprintln!(
            "note: already had {} ({}); updated it / 已有此名片，已更新",
            o.name, o.id
        ),
        AddStatus::Unchanged => eprintln!(
            "note: already had {} ({}), unchanged / 已有此名片，无变化",
            o.name, o.id
        ),
    }
}

/// `add` of a share link (when no file has that name), else of a file.
async fn add_input(core: &Core, input: &str) -> Result<Vec<livecard_core::AddOutcome>> {
    let t = input.trim();
    let lower = t.to_ascii_lowercase();
    if (lower.starts_with("https://") || lower.starts_with("http://")) && !Path::new(t).exists() {
        let o = core.add_link(t).await?;
        note_status(&o);
        return Ok(vec![o]);
    }
    exchange::add_file(core, Path::new(t)).await
}

/// The passphrase: flag or env, else a prompt on a terminal (twice when `confirm`).
fn passphrase(p: Passphrase, confirm: bool) -> Result<String> {
    if let Some(p) = p.passphrase {
        return Ok(p);
    }
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        bail!(
            "no passphrase: pass --passphrase or set LIVECARD_PASSPHRASE (no terminal to ask on)"
        );
    }
    let p = rpassword::prompt_password("passphrase / 密码: ")?;
    if confirm && rpassword::prompt_password("again / 再输入一次: ")? != p {
        bail!("the passphrases differ / 两次密码不一致");
    }
    Ok(p)
}

/// `--set` values first, then `--add`, each in the order given. `avatar=PATH` reads the
/// image file; `avatar=` clears it.
fn parse_edits(set: &[String], add: &[String]) -> Result<Vec<Edit>> {
    let mut edits = Vec::new();
    for (op, flag, list) in [(EditOp::Set, "--set", set), (EditOp::Add, "--add", add)] {
        for arg in list {
            let (field, value) = arg
                .split_once('=')
                .ok_or_else(|| anyhow!("{flag} expects FIELD=VALUE, got {arg:?}"))?;
            let field: Field = field.parse()?;
            let value = if field == Field::Avatar && !value.trim().is_empty() {
                let path = Path::new(value.trim());
                EditValue::Image(
                    std::fs::read(path)
                        .with_context(|| format!("avatar: cannot read {}", path.display()))?,
                )
            } else {
                EditValue::Text(value.to_string())
            };
            edits.push(Edit { op, field, value });
        }
    }
    Ok(edits)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// A UTF-8 text file, or stdin for `-`.
fn read_text(path: &Path) -> Result<String> {
    let bytes = if path == Path::new("-") {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b).context("cannot read stdin")?;
        b
    } else {
        read(path)?
    };
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// `livecard watch`: one line per change until SIGINT / SIGTERM (then exit 0).
async fn run_watch(core: &Core, json: bool) -> Result<()> {
    let stop = async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    };
    core.watch(stop, |ev| match ev {
        WatchEvent::Update(u) => {
            if json {
                if let Ok(line) = serde_json::to_string(&u) {
                    println!("{line}");
                }
            } else if u.changed.is_empty() {
                println!("{}\tversion {}\t{}", u.id, u.version, u.status);
            } else {
                println!(
                    "{}\tversion {}\tchanged: {}",
                    u.id,
                    u.version,
                    u.changed.join(", ")
                );
            }
        }
        WatchEvent::Connected { server, ids } => {
            eprintln!("watching {ids} cards on {server} / 正在实时关注 {ids} 张名片")
        }
        WatchEvent::Disconnected {
            server,
            error,
            retry_ms,
        } => eprintln!("warning: {server}: {error}; reconnecting in {retry_ms} ms"),
    })
    .await?;
    Ok(())
}

async fn run_inbox(
    core: &Core,
    json: bool,
    accept: Option<String>,
    ignore: Option<String>,
    block: Option<String>,
    rotate_key: Option<String>,
) -> Result<()> {
    if let Some(own) = rotate_key {
        let own = (!own.is_empty()).then_some(own);
        let p = core.rotate_inbox_key(own.as_deref()).await?;
        eprintln!(
            "new inbox key published with version {} / 已更换收件箱密钥",
            p.version
        );
        return if json { print_json(&p) } else { Ok(()) };
    }
    let changed = match (accept, ignore, block) {
        (Some(m), _, _) => Some(core.inbox_accept(&m).await?),
        (_, Some(m), _) => Some(core.inbox_ignore(&m).await?),
        (_, _, Some(m)) => Some(core.inbox_block(&m).await?),
        _ => None,
    };
    if let Some(e) = changed {
        return if json {
            print_json(&e)
        } else {
            println!("{}\t{}", e.msg, e.state);
            Ok(())
        };
    }
    let entries = core.inbox().await?;
    if json {
        return print_json(&entries);
    }
    let mut out = std::io::stdout().lock();
    for e in entries {
        let who = if e.name.is_empty() {
            &e.sender
        } else {
            &e.name
        };
        writeln!(
            out,
            "{}\t{}\tnew card from {who} / 新名片来自 {who}\t{}\t{}",
            e.msg,
            e.state,
            e.card_id.as_deref().unwrap_or("-"),
            e.note
        )?;
    }
    Ok(())
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

fn print_rows(cards: &[ReceivedCard]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for c in cards {
        writeln!(
            out,
            "{}\t{}{}\t{}\t{}",
            c.id,
            c.name,
            if c.changed {
                " (changed/有更新)"
            } else {
                ""
            },
            c.card.company,
            c.card.title
        )?;
    }
    Ok(())
}

/// `livecard fields`: the field table, as JSON or one line per field.
fn print_fields(json: bool) -> Result<()> {
    if json {
        return print_json(&livecard_format::fields::table_json());
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<12} {:<9} {:<6} {:<26} label",
        "key", "kind", "values", "vcard"
    )?;
    for s in &livecard_format::fields::FIELDS {
        let kind = serde_json::to_value(s.kind)?;
        writeln!(
            out,
            "{:<12} {:<9} {:<6} {:<26} {}",
            s.key(),
            kind.as_str().unwrap_or(""),
            if s.multi { "list" } else { "one" },
            s.vcard,
            s.label_both()
        )?;
    }
    Ok(())
}

/// Bilingual label + value lines for every non-empty field, in the field table's order;
/// phone numbers as the core formats them for the user's region (`display`).
fn card_lines(card: &Card, display: &BTreeMap<String, Vec<String>>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = Vec::new();
    for s in &livecard_format::fields::FIELDS {
        let values = match s.field {
            Field::Name => vec![card.display_name()],
            // Shown in the name line / with the temporary number.
            Field::Family | Field::Given | Field::TempUntil => continue,
            Field::TempNumber if !card.temp_number.is_empty() => {
                let until = card.temp_until.map(|t| t.to_rfc3339()).unwrap_or_default();
                let shown = display.get(s.key()).and_then(|v| v.first());
                let number = shown.unwrap_or(&card.temp_number);
                vec![format!("{number} (until/至 {until})")]
            }
            f => match display.get(s.key()) {
                Some(shown) => shown.clone(),
                None => card.values(f),
            },
        };
        for value in values.into_iter().filter(|x| !x.trim().is_empty()) {
            v.push((s.label_both(), value));
        }
    }
    v
}

fn print_lines(
    head: &[(&str, String)],
    card: &Card,
    display: &BTreeMap<String, Vec<String>>,
) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for (k, v) in head
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .chain(card_lines(card, display))
    {
        writeln!(out, "{k}: {v}")?;
    }
    Ok(())
}

fn print_own(own: &OwnCard) -> Result<()> {
    print_lines(
        &[
            ("ID", own.id.clone()),
            ("版本 Version", own.version.to_string()),
        ],
        &own.card,
        &own.display,
    )
}

fn print_received(c: &ReceivedCard) -> Result<()> {
    let mut head = vec![
        ("ID", c.id.clone()),
        ("来源 Source", c.source.to_string()),
        ("更新 Updated", c.updated_at.to_rfc3339()),
    ];
    if c.changed {
        head.push(("状态 State", "changed since last seen / 有更新".into()));
    }
    if !c.tags.is_empty() {
        head.push(("标签 Tags", c.tags.join(", ")));
    }
    if !c.notes.is_empty() {
        head.push(("备注 Notes", c.notes.clone()));
    }
    print_lines(&head, &c.card, &c.display)
}
