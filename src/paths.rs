//! Where warroom keeps its files: XDG directories via `directories`, one place to ask.

use std::path::PathBuf;

use directories::ProjectDirs;

/// The per-user directories. `None` only when no home directory can be determined.
#[derive(Debug, Clone)]
pub struct Paths {
    /// `$XDG_CONFIG_HOME/warroom`: config.yaml and themes/.
    pub config_dir: PathBuf,
    /// `$XDG_STATE_HOME/warroom`: the log file.
    pub state_dir: PathBuf,
    /// `$XDG_DATA_HOME/warroom`: incident journals.
    pub data_dir: PathBuf,
}

impl Paths {
    pub fn discover() -> Option<Paths> {
        let dirs = ProjectDirs::from("", "", "warroom")?;
        Some(Paths {
            config_dir: dirs.config_dir().to_path_buf(),
            // state_dir exists only on Linux; elsewhere logs go with the data.
            state_dir: dirs
                .state_dir()
                .unwrap_or_else(|| dirs.data_local_dir())
                .to_path_buf(),
            data_dir: dirs.data_dir().to_path_buf(),
        })
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.yaml")
    }

    pub fn themes_dir(&self) -> PathBuf {
        self.config_dir.join("themes")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.state_dir.clone()
    }
}
