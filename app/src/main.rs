//! The app's command-line interface: `synth`, `list`, and with the `deploy`
//! feature `deploy`, `diff`, `destroy` and `bootstrap`.

fn main() -> std::process::ExitCode {
    constructs::cli::run(app::build)
}
