//! The `ferrotls` command.

fn main() {
    eprintln!("ferrotls: the client and server commands are being built");
    std::process::exit(2);
}
