//! The origin of key bytes: the name that messages show, and the shell
//! input that a command in a hint reads the same bytes from. Every hint
//! can so be pasted and run, whatever the key source is.

use std::fmt;
use std::path::Path;

/// The input that a shell command reads the key bytes from.
#[derive(Debug, Clone)]
enum Input {
    /// A file, by its path as the credential names it.
    File(String),
    /// The output of a shell pipeline, such as `printenv KEY_PEM`.
    Pipe(String),
    /// Text written in the configuration file, which no command reads.
    Inline,
}

/// The source of key bytes, for messages and hints. Displays as the name
/// that messages use, such as a file path or "from environment variable
/// KEY_PEM", and never shows key content.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The name shown in messages.
    label: String,
    /// The input of a command in a hint.
    input: Input,
}

impl Origin {
    /// Names a key file.
    pub fn file(path: &str) -> Origin {
        Origin { label: path.to_string(), input: Input::File(path.to_string()) }
    }

    /// Names an environment variable that contains the key.
    pub fn env(variable: &str) -> Origin {
        Origin {
            label: format!("from environment variable {variable}"),
            input: Input::Pipe(format!("printenv {variable}")),
        }
    }

    /// Names an environment variable whose PEM text has literal `\n`
    /// escapes in place of line breaks, which commands undo with `sed`.
    pub fn escaped_env(variable: &str) -> Origin {
        Origin {
            label: format!("from environment variable {variable}"),
            input: Input::Pipe(format!(r"printenv {variable} | sed 's/\\n/\n/g'")),
        }
    }

    /// Names a `key_command` whose output is the key. Commands in hints
    /// run it in `dir`, the configuration file's folder, as namedcred does.
    pub fn command(command: &str, dir: &Path) -> Origin {
        let dir = shell_quote(&dir.display().to_string());
        Origin {
            label: format!("from key_command `{command}`"),
            input: Input::Pipe(format!("( cd {dir} && {command} )")),
        }
    }

    /// Names the `key` text of the configuration file.
    pub fn inline() -> Origin {
        Origin { label: "in `key`".to_string(), input: Input::Inline }
    }

    /// Names a string member of the JSON document this origin holds, such
    /// as the `private_key` of a Google service account key file. Commands
    /// extract it with `jq`.
    pub fn member(&self, member: &str) -> Origin {
        let extract = format!("jq -r .{member}");
        let input = match &self.input {
            Input::File(path) => Input::Pipe(format!("{extract} {}", shell_quote(path))),
            Input::Pipe(pipe) => Input::Pipe(format!("{pipe} | {extract}")),
            Input::Inline => Input::Inline,
        };
        Origin { label: format!("`{member}` in {}", self.label), input }
    }

    /// Returns a shell command that runs `tool` on the key bytes. `tool`
    /// builds the command from the name of the file to read; a pipeline
    /// source feeds it `/dev/stdin`.
    pub fn run(&self, tool: impl Fn(&str) -> String) -> String {
        match &self.input {
            Input::File(path) => tool(&shell_quote(path)),
            Input::Pipe(pipe) => format!("{pipe} | {}", tool("/dev/stdin")),
            Input::Inline => {
                format!("save the `key` text to key.in, then run: {}", tool("key.in"))
            }
        }
    }

    /// Returns a shell command that runs `tool` on a file with the key
    /// bytes, for tools that cannot read a pipe: a pipeline source is
    /// saved to `key.in` first.
    pub fn run_on_file(&self, tool: impl Fn(&str) -> String) -> String {
        match &self.input {
            Input::Pipe(pipe) => format!("(umask 077; {pipe} > key.in) && {}", tool("key.in")),
            _ => self.run(tool),
        }
    }

    /// Returns the HMAC secret setting that fits this source.
    pub fn secret_setting(&self) -> &'static str {
        match &self.input {
            Input::File(_) => "secret_path",
            Input::Pipe(pipe) if pipe.starts_with("printenv ") => "secret_env",
            _ => "secret_env or secret_path",
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// Quotes a path for a POSIX shell when it has characters the shell would
/// split or expand.
fn shell_quote(path: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:=@%".contains(c);
    if !path.is_empty() && path.chars().all(plain) {
        return path.to_string();
    }
    format!("'{}'", path.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(origin: &Origin) -> String {
        origin.run(|file| format!("openssl pkey -in {file} -out key.pem"))
    }

    #[test]
    fn file_command_reads_the_path() {
        assert_eq!(convert(&Origin::file("k.pem")), "openssl pkey -in k.pem -out key.pem");
        assert_eq!(
            convert(&Origin::file("my keys/k.pem")),
            "openssl pkey -in 'my keys/k.pem' -out key.pem"
        );
    }

    #[test]
    fn env_and_command_pipe_into_the_tool() {
        assert_eq!(
            convert(&Origin::env("KPEM")),
            "printenv KPEM | openssl pkey -in /dev/stdin -out key.pem"
        );
        assert_eq!(
            convert(&Origin::command("vault read -field=pem k", Path::new("/etc/nc"))),
            "( cd /etc/nc && vault read -field=pem k ) | openssl pkey -in /dev/stdin -out key.pem"
        );
    }

    #[test]
    fn escaped_env_unescapes_before_the_tool() {
        assert_eq!(
            convert(&Origin::escaped_env("KPEM")),
            r"printenv KPEM | sed 's/\\n/\n/g' | openssl pkey -in /dev/stdin -out key.pem"
        );
    }

    #[test]
    fn inline_command_asks_for_a_file() {
        let command = convert(&Origin::inline());
        assert!(command.contains("key.in"), "{command}");
        assert!(command.contains("openssl pkey -in key.in"), "{command}");
    }

    #[test]
    fn member_extracted_with_jq() {
        let member = Origin::file("sa.json").member("private_key");
        assert_eq!(member.to_string(), "`private_key` in sa.json");
        assert!(convert(&member).starts_with("jq -r .private_key sa.json | openssl"));
        let member = Origin::env("SA").member("private_key");
        assert!(convert(&member).starts_with("printenv SA | jq -r .private_key | openssl"));
    }

    #[test]
    fn secret_setting_follows_source() {
        assert_eq!(Origin::file("k").secret_setting(), "secret_path");
        assert_eq!(Origin::env("K").secret_setting(), "secret_env");
        assert_eq!(Origin::inline().secret_setting(), "secret_env or secret_path");
    }
}
