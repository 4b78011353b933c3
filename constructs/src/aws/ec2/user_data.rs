//! User data: the script cloud-init runs at an instance's first boot.

use std::path::PathBuf;

/// The most bytes of user data EC2 accepts (before base64).
pub const MAX_USER_DATA_BYTES: usize = 16 * 1024;

#[derive(Clone, Debug)]
enum Part {
    Text(String),
    File(PathBuf),
}

/// The user data of an instance: text, commands, or a script read from a
/// file when the instance is built (a file that cannot be read is reported at
/// synthesis with the instance's path).
///
/// ```
/// use constructs::aws::ec2::UserData;
/// let mut ud = UserData::for_linux();
/// ud.add_commands(["yum update -y", "yum install -y httpd"]);
/// assert_eq!(ud.render().as_deref(), Ok("#!/bin/bash\nyum update -y\nyum install -y httpd"));
/// ```
#[derive(Clone, Debug)]
pub struct UserData {
    parts: Vec<Part>,
}

impl UserData {
    /// A bash script (`#!/bin/bash`) to add commands to.
    pub fn for_linux() -> UserData {
        UserData::custom("#!/bin/bash")
    }

    /// User data of exactly this text (a script with its shebang, or a
    /// `#cloud-config` document).
    pub fn custom(text: impl Into<String>) -> UserData {
        UserData {
            parts: vec![Part::Text(text.into())],
        }
    }

    /// User data read from a file when the instance is built, e.g. a script
    /// that starts with `#!/bin/bash`.
    pub fn from_file(path: impl Into<PathBuf>) -> UserData {
        UserData {
            parts: vec![Part::File(path.into())],
        }
    }

    /// Appends commands, one a line.
    pub fn add_commands<S: Into<String>>(&mut self, commands: impl IntoIterator<Item = S>) {
        self.parts.extend(commands.into_iter().map(|c| Part::Text(c.into())));
    }

    /// The text: the parts joined by newlines. Fails when a file cannot be
    /// read, when the result does not start with `#!` or `#cloud-config`
    /// (cloud-init would not run it), or when it exceeds 16 KB.
    pub fn render(&self) -> Result<String, String> {
        let mut lines = Vec::with_capacity(self.parts.len());
        for p in &self.parts {
            match p {
                Part::Text(t) => lines.push(t.clone()),
                Part::File(path) => {
                    let text = std::fs::read_to_string(path)
                        .map_err(|e| format!("cannot read the user data file {}: {e}", path.display()))?;
                    lines.push(text);
                }
            }
        }
        let text = lines.join("\n");
        if !(text.starts_with("#!") || text.starts_with("#cloud-config")) {
            return Err(
                "user data must start with a shebang (e.g. #!/bin/bash) or #cloud-config: cloud-init would not run it"
                    .to_owned(),
            );
        }
        if text.len() > MAX_USER_DATA_BYTES {
            return Err(format!(
                "user data is {} bytes: EC2 accepts at most {MAX_USER_DATA_BYTES}; download larger scripts from S3 instead",
                text.len()
            ));
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_read_and_checked() {
        let dir = tempfile::tempdir().expect("dir");
        let script = dir.path().join("ud.sh");
        std::fs::write(&script, "#!/bin/bash\necho hi\n").expect("write");
        let mut ud = UserData::from_file(&script);
        ud.add_commands(["echo bye"]);
        assert_eq!(ud.render().as_deref(), Ok("#!/bin/bash\necho hi\n\necho bye"));

        let missing = UserData::from_file(dir.path().join("missing.sh")).render();
        assert!(missing.is_err_and(|e| e.contains("cannot read the user data file")));

        let no_shebang = UserData::custom("echo hi").render();
        assert!(no_shebang.is_err_and(|e| e.contains("must start with a shebang")));

        let big = UserData::custom(format!("#!/bin/sh\n{}", "x".repeat(MAX_USER_DATA_BYTES))).render();
        assert!(big.is_err_and(|e| e.contains("at most 16384")));
    }
}
