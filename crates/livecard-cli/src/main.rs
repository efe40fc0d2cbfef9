//! `livecard`: the command-line client. Every command calls [`livecard_core::Core`], the same
//! API the app uses. Commands, flags and JSON shapes are a contract: see README.md beside this
//! crate.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use livecard_core::{AddStatus, Core, Edit, EditOp, EditValue, OwnCard, ReceivedCard, Sort};
use livecard_format::{Card, Field, Region};

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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Your own cards (我的名片).
    #[command(subcommand)]
    Me(MeCommand),
    /// Add received cards from a .vcf file or a text file holding vCard/MeCard text.
    Add {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
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
    /// Show a received card with your notes and tags (marks it seen).
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
    let dir = data_dir(&cli)?;
    let core = Core::open(&dir, cli.region)
        .await
        .with_context(|| format!("opening the store in {}", dir.display()))?;
    match cli.command {
        Command::Me(me) => run_me(&core, me).await,
        Command::Add { file, json } => {
            let bytes = read(&file)?;
            let report = core.add_contacts(&bytes).await?;
            for s in &report.skipped {
                eprintln!("warning: skipped {s}");
            }
            for o in &report.added {
                for w in &o.warnings {
                    eprintln!("warning: {w}");
                }
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
            if json {
                print_json(&report.added)
            } else {
                let mut out = std::io::stdout().lock();
                for o in &report.added {
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
            let c = core.open_card(&id).await?;
            if json {
                print_json(&c)
            } else {
                print_received(&c)
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
    }
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

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
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

/// Bilingual label + value lines for every non-empty field.
fn card_lines(card: &Card) -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = Vec::new();
    let mut one = |label: &'static str, s: &str| {
        if !s.trim().is_empty() {
            v.push((label, s.to_string()));
        }
    };
    one("姓名 Name", &card.display_name());
    one("公司 Company", &card.company);
    one("职位 Title", &card.title);
    one("行业 Industry", &card.industry);
    for m in &card.mobile {
        one("手机 Mobile", m);
    }
    for p in &card.phone {
        one("电话 Phone", p);
    }
    for f in &card.fax {
        one("传真 Fax", f);
    }
    for e in &card.email {
        one("邮箱 Email", e);
    }
    for a in &card.address {
        one("地址 Address", &a.to_line());
    }
    for w in &card.website {
        one("网站 Website", w);
    }
    one("QQ", &card.qq);
    one("微信 WeChat", &card.wechat);
    one("微博 Weibo", &card.weibo);
    one("旺旺 Aliwangwang", &card.aliwangwang);
    one("MSN", &card.msn);
    one("钉钉 DingTalk", &card.dingtalk);
    one("公告 Bulletin", &card.bulletin);
    if !card.temp_number.is_empty() {
        let until = card.temp_until.map(|t| t.to_rfc3339()).unwrap_or_default();
        one(
            "临时号码 Temporary number",
            &format!("{} (until/至 {until})", card.temp_number),
        );
    }
    if let Some(a) = &card.avatar {
        one(
            "头像 Avatar",
            &format!("{}, {} bytes", a.mime, a.data.len()),
        );
    }
    v
}

fn print_lines(head: &[(&str, String)], card: &Card) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for (k, v) in head
        .iter()
        .map(|(k, v)| (*k, v.clone()))
        .chain(card_lines(card))
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
    print_lines(&head, &c.card)
}
