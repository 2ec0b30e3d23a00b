//! `namedcred completions` and `namedcred man`: documents generated from
//! the flag definitions at run time, so packagers can call the installed
//! binary instead of a build script.

use std::io::{self, Write};

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

/// Writes the completion script for the chosen shell to stdout.
pub fn run_completions(args: CompletionsArgs) -> anyhow::Result<u8> {
    let mut command = Cli::command();
    // clap_complete panics when its writer fails, so the script is built
    // in memory and written here, where a failure is an error.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "namedcred", &mut script);
    write_stdout(&script)?;
    Ok(0)
}

/// Writes the manual page to stdout: the main page, followed by one
/// section per subcommand with its flags and examples.
pub fn run_man() -> anyhow::Result<u8> {
    let page = render_man().context("cannot render the manual page")?;
    write_stdout(&page)?;
    Ok(0)
}

/// Writes a document to stdout. A reader that has closed the pipe, such as
/// `head`, is not an error.
fn write_stdout(document: &[u8]) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(document).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}

/// Renders the whole manual page as roff.
fn render_man() -> io::Result<Vec<u8>> {
    let mut command = Cli::command();
    command.build();
    let mut page = Vec::new();
    // The page is rendered section by section, because the SUBCOMMANDS
    // section that `render` adds points to one page per subcommand, while
    // this page documents each subcommand in a section of its own.
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    man.render_extra_section(&mut page)?;
    for sub in command.get_subcommands().filter(|sub| sub.get_name() != "help") {
        let name = format!("namedcred {}", sub.get_name());
        writeln!(page, ".SH \"{}\"", name.to_uppercase())?;
        page.extend(subcommand_sections(sub.clone().bin_name(name))?);
    }
    man.render_version_section(&mut page)?;
    // Every command's after-help text is a list of examples, which
    // clap_mangen puts under a heading named EXTRA.
    let text = String::from_utf8_lossy(&page)
        .replace(".SH EXTRA\n", ".SH EXAMPLES\n")
        .replace(".SS EXTRA\n", ".SS EXAMPLES\n");
    Ok(text.into_bytes())
}

/// Renders a subcommand's synopsis, description, options and examples,
/// with their headings demoted to subsections of the command's section.
fn subcommand_sections(sub: clap::Command) -> io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(sub);
    let mut part = Vec::new();
    man.render_synopsis_section(&mut part)?;
    man.render_description_section(&mut part)?;
    man.render_options_section(&mut part)?;
    man.render_extra_section(&mut part)?;
    let text = String::from_utf8_lossy(&part).replace("\n.SH ", "\n.SS ");
    let text = text.strip_prefix(".SH ").map_or(text.clone(), |rest| format!(".SS {rest}"));
    Ok(text.into_bytes())
}
