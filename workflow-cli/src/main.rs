//! The `workflow` command.

fn main() {
    println!("workflow: the command line is being written");
}
